"""Service errors through both AWS CLIs: exit status (v2 254, v1 255) and the
"An error occurred (Code) when calling the Op operation: message" line on stderr."""

import re

import pytest

from conftest import CLI_V2, CLIS


def cli_id(cli):
    return "v2" if cli == CLI_V2 else "v1"


def error_line(stderr, code, op):
    """The message of the CLI's error line for (code, op). CLI v2 inserts
    "(reached max retries: N)" after the operation name when retries are configured."""
    m = re.search(
        r"^An error occurred \(%s\) when calling the %s operation"
        r"(?: \(reached max retries: \d+\))?: (.*)$"
        % (re.escape(code), re.escape(op)),
        stderr,
        re.M,
    )
    assert m, stderr
    return m.group(1)


def expected_exit(cli):
    return 254 if cli == CLI_V2 else 255


@pytest.mark.parametrize("cli", CLIS, ids=cli_id)
def test_cli_auth_error(daemon, cli):
    r = daemon.aws("sts", "get-caller-identity", cli=cli, key="AKIAUNKNOWNKEY000001")
    assert r.returncode == expected_exit(cli), r.stderr
    assert error_line(r.stderr, "InvalidClientTokenId", "GetCallerIdentity") == (
        "The security token included in the request is invalid.")
    assert r.stdout.strip() == ""


@pytest.mark.parametrize("cli", CLIS, ids=cli_id)
def test_cli_signature_error_json_service(daemon, cli):
    r = daemon.aws("ssm", "list-documents", cli=cli,
                   secret="wRoNgSeCrEt00000000000000000000000000000")
    assert r.returncode == expected_exit(cli), r.stderr
    assert error_line(r.stderr, "InvalidSignatureException", "ListDocuments").startswith(
        "The request signature we calculated does not match the signature you provided.")


@pytest.mark.parametrize("cli", CLIS, ids=cli_id)
def test_cli_validation_error(daemon, cli):
    r = daemon.aws("servicecatalog", "list-portfolios", "--page-size", "1000", cli=cli)
    assert r.returncode == expected_exit(cli), r.stderr
    assert error_line(r.stderr, "ValidationException", "ListPortfolios") == (
        "1 validation error detected: Value '1000' at 'pageSize' failed to satisfy constraint: "
        "Member must have value less than or equal to 100")


@pytest.mark.parametrize("cli", CLIS, ids=cli_id)
def test_cli_modeled_error(daemon, cli):
    r = daemon.aws("ssm", "list-documents", "--no-paginate", "--next-token", "garbage", cli=cli)
    assert r.returncode == expected_exit(cli), r.stderr
    assert error_line(r.stderr, "InvalidNextToken", "ListDocuments")
