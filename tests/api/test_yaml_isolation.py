"""YAML from a request is parsed in a child process (src/yaml/isolate.c): a parser crash
costs the child, and the caller gets the service's "not well-formed" error. The crash is
injected (CATALOGD_TEST_YAML_FAULT: text holding it crashes the child) because every crash
the fuzzers found is also refused before the parser sees it."""

import pytest
from botocore.exceptions import ClientError

from conftest import Daemon
from helpers import error_of, serve

FAULT = "boom-7f3a"
DOC = "schemaVersion: '0.3'\ndescription: %s\nmainSteps:\n  - name: nap\n    action: aws:sleep\n    inputs:\n      Duration: PT1S\n"
TEMPLATE = "Description: %s\nResources:\n  H:\n    Type: AWS::CloudFormation::WaitConditionHandle\n"


@pytest.fixture(scope="module")
def d():
    yield from serve(Daemon(env={"CATALOGD_TEST_YAML_FAULT": FAULT}))


def test_a_parser_crash_is_a_refusal_not_a_dead_daemon(d):
    ssm, cf = d.client("ssm"), d.client("cloudformation")
    with pytest.raises(ClientError) as e:
        ssm.create_document(Name="crashes-parser", Content=DOC % FAULT, DocumentType="Automation",
                            DocumentFormat="YAML")
    code, msg = error_of(e)
    assert code == "InvalidDocumentContent" and "YAML not well-formed" in msg and "crashed" in msg
    # a text that killed its parser is not remembered as safe: the second try forks again
    with pytest.raises(ClientError) as e:
        ssm.create_document(Name="crashes-parser", Content=DOC % FAULT, DocumentType="Automation",
                            DocumentFormat="YAML")
    assert "crashed" in error_of(e)[1]
    with pytest.raises(ClientError) as e:
        cf.validate_template(TemplateBody=TEMPLATE % FAULT)
    code, msg = error_of(e)
    assert code == "ValidationError" and "YAML not well-formed" in msg
    # the daemon is up, nothing was made, and the same YAML without the fault goes through
    assert d.proc.poll() is None
    assert "crashes-parser" not in [x["Name"] for x in ssm.list_documents()["DocumentIdentifiers"]]
    r = ssm.create_document(Name="parses", Content=DOC % "fine", DocumentType="Automation", DocumentFormat="YAML")
    assert r["DocumentDescription"]["Status"] in ("Creating", "Active")
    assert ssm.get_document(Name="parses")["Content"] == DOC % "fine"
    assert cf.validate_template(TemplateBody=TEMPLATE % "fine")["Description"] == "fine"
