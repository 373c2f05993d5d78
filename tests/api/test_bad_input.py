"""Bad request bodies: malformed documents, wrong member types, model constraint
violations in Coral's wording, bad page tokens. After each, the daemon still serves."""

import json

import botocore.exceptions
import pytest

from awsraw import gci_params, json_call, query_call, serving


def sc(daemon, body):
    return json_call(daemon, "servicecatalog", "ListPortfolios", body)


def ssm(daemon, body):
    return json_call(daemon, "ssm", "ListDocuments", body)


def json_error(r, code, status=400):
    assert r.headers["content-type"] == "application/x-amz-json-1.1", r
    got, msg = r.error()
    assert (got, r.status) == (code, status), r
    assert r.request_id
    return msg


def client_error(call, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        call(**kw)
    return ei.value.response


# ---- documents that are not a JSON object ---------------------------------------------------

@pytest.mark.parametrize(
    "body",
    ['{"PageSize":', "{", '{"PageSize": 5,}', "nul", "{'PageSize': 5}", '{"PageSize" 5}'],
    ids=["truncated", "open-brace", "trailing-comma", "bad-literal", "single-quotes", "no-colon"],
)
def test_malformed_json(daemon, body):
    json_error(sc(daemon, body), "SerializationException")
    assert serving(daemon)


@pytest.mark.parametrize("body", ["[]", "[{}]", '"PageSize"', "5", "true", "null"])
def test_json_body_not_an_object(daemon, body):
    json_error(sc(daemon, body), "SerializationException")
    assert serving(daemon)


@pytest.mark.parametrize("body", ["{} x", "{}{}", '{"PageSize": 5} ]', "{}\x00"],
                         ids=["word", "second-object", "bracket", "nul-byte"])
def test_json_trailing_garbage(daemon, body):
    json_error(sc(daemon, body), "SerializationException")
    assert serving(daemon)


def test_json_surrounding_whitespace_accepted(daemon):
    assert sc(daemon, ' \r\n\t{"PageSize": 5}\n ').status == 200


def test_json_deep_nesting(daemon):
    deep = '{"Filters": ' + "[" * 20000 + "]" * 20000 + "}"
    json_error(ssm(daemon, deep), "SerializationException")
    assert serving(daemon)


# ---- member types -------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "call,body",
    [
        (sc, {"PageSize": "ten"}),
        (sc, {"PageSize": True}),
        (sc, {"AcceptLanguage": 5}),
        (sc, {"AcceptLanguage": ["en"]}),
        (sc, {"PageToken": {"a": 1}}),
        (ssm, {"Filters": "Owner"}),
        (ssm, {"Filters": [{"Key": "Owner", "Values": "Self"}]}),
        (ssm, {"Filters": [5]}),
        (ssm, {"MaxResults": "10"}),
    ],
    ids=["int-as-string", "int-as-bool", "string-as-number", "string-as-list",
         "string-as-object", "list-as-string", "nested-list-as-string", "struct-as-number",
         "int-as-numeric-string"],
)
def test_member_of_wrong_type(daemon, call, body):
    json_error(call(daemon, body), "SerializationException")
    assert serving(daemon)


def test_unknown_members_ignored(daemon):
    r = sc(daemon, {"NoSuchMember": 1, "AnotherOne": {"x": [1, 2]}, "PageSize": 5})
    assert r.status == 200, r
    assert r.json() == {"PortfolioDetails": []}
    r = ssm(daemon, {"Filters": [{"Key": "Owner", "Values": ["Self"], "Unknown": True}]})
    assert r.status == 200, r


def test_null_members_are_absent(daemon):
    r = sc(daemon, {"PageSize": None, "PageToken": None, "AcceptLanguage": None})
    assert r.status == 200, r


# ---- model constraints (the server must check max/pattern/enum: botocore does not) ----------

def test_value_above_max_boto3(daemon):
    e = client_error(daemon.client("servicecatalog").list_portfolios, PageSize=1000)
    assert e["Error"]["Code"] == "ValidationException"
    assert e["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert e["Error"]["Message"] == (
        "1 validation error detected: Value '1000' at 'pageSize' failed to satisfy constraint: "
        "Member must have value less than or equal to 100"
    )


def test_value_above_max_ssm_boto3(daemon):
    e = client_error(daemon.client("ssm").list_documents, MaxResults=51)
    assert e["Error"]["Code"] == "ValidationException"
    assert e["Error"]["Message"] == (
        "1 validation error detected: Value '51' at 'maxResults' failed to satisfy constraint: "
        "Member must have value less than or equal to 50"
    )


@pytest.mark.parametrize(
    "call,body,text",
    [
        (sc, {"PageSize": -1},
         "Value '-1' at 'pageSize' failed to satisfy constraint: "
         "Member must have value greater than or equal to 0"),
        (ssm, {"MaxResults": 0},
         "Value '0' at 'maxResults' failed to satisfy constraint: "
         "Member must have value greater than or equal to 1"),
    ],
    ids=["sc-below-min", "ssm-below-min"],
)
def test_value_below_min_raw(daemon, call, body, text):
    """botocore checks min itself; a raw request shows the server checks it too."""
    assert json_error(call(daemon, body), "ValidationException") == (
        "1 validation error detected: " + text)


def test_string_over_max_length(daemon):
    lang = "x" * 101
    e = client_error(daemon.client("servicecatalog").list_portfolios, AcceptLanguage=lang)
    assert e["Error"]["Code"] == "ValidationException"
    assert e["Error"]["Message"] == (
        "1 validation error detected: Value '%s' at 'acceptLanguage' failed to satisfy "
        "constraint: Member must have length less than or equal to 100" % lang
    )


def test_string_at_max_length_accepted(daemon):
    r = daemon.client("servicecatalog").list_portfolios(AcceptLanguage="x" * 100, PageSize=100)
    assert r["PortfolioDetails"] == []


def test_list_over_max_length(daemon):
    filters = [{"Key": "Owner", "Values": ["Self"]}] * 7
    msg = json_error(ssm(daemon, {"Filters": filters}), "ValidationException")
    assert msg.startswith("1 validation error detected: Value '")
    assert msg.endswith("' at 'filters' failed to satisfy constraint: "
                        "Member must have length less than or equal to 6")


def test_nested_member_path(daemon):
    """Coral names nested members by their path: filters.1.member.key."""
    msg = json_error(ssm(daemon, {"Filters": [{"Key": "k" * 129, "Values": ["v"]}]}),
                     "ValidationException")
    assert msg == ("1 validation error detected: Value '%s' at 'filters.1.member.key' failed to "
                   "satisfy constraint: Member must have length less than or equal to 128"
                   % ("k" * 129))


def test_several_violations_at_once(daemon):
    lang = "y" * 101
    e = client_error(daemon.client("servicecatalog").list_portfolios, AcceptLanguage=lang,
                     PageSize=1000)
    msg = e["Error"]["Message"]
    assert e["Error"]["Code"] == "ValidationException"
    assert msg.startswith("2 validation errors detected: ")
    parts = msg[len("2 validation errors detected: "):].split("; ")
    assert sorted(parts) == sorted([
        "Value '%s' at 'acceptLanguage' failed to satisfy constraint: "
        "Member must have length less than or equal to 100" % lang,
        "Value '1000' at 'pageSize' failed to satisfy constraint: "
        "Member must have value less than or equal to 100",
    ])


# ---- page tokens --------------------------------------------------------------------------------

@pytest.mark.parametrize("token", ["garbage", "bm90LWEtdG9rZW4=", "%%%"])
def test_bad_page_token_servicecatalog(daemon, token):
    c = daemon.client("servicecatalog")
    with pytest.raises(c.exceptions.InvalidParametersException) as ei:
        c.list_portfolios(PageToken=token)
    assert ei.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


@pytest.mark.parametrize("token", ["garbage", "bm90LWEtdG9rZW4=", "%%%"])
def test_bad_next_token_ssm(daemon, token):
    c = daemon.client("ssm")
    with pytest.raises(c.exceptions.InvalidNextToken) as ei:
        c.list_documents(NextToken=token)
    assert ei.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert serving(daemon)


# ---- form bodies --------------------------------------------------------------------------------

@pytest.mark.parametrize("body", [
    "Action=GetCallerIdentity&Version=2011-06-15&Foo=%zz",
    "Action=GetCallerIdentity&Version=2011-06-15&Foo=%4",
    "Action=GetCallerIdentity%&Version=2011-06-15",
])
def test_malformed_percent_encoding(daemon, body):
    r = query_call(daemon, "sts", body)
    assert r.headers["content-type"].startswith("text/xml")
    assert r.error()[0] == "MalformedQueryString"
    assert r.status in (400, 404)
    assert r.request_id
    assert serving(daemon)


def test_malformed_percent_encoding_status(daemon):
    r = query_call(daemon, "sts", "Action=GetCallerIdentity&Version=2011-06-15&Foo=%zz")
    assert (r.error()[0], r.status) == ("MalformedQueryString", 404)


def test_malformed_percent_encoding_error_namespace(daemon):
    r = query_call(daemon, "sts", "Action=GetCallerIdentity&Version=2011-06-15&Foo=%zz")
    assert r.xml().tag == "{https://sts.amazonaws.com/doc/2011-06-15/}ErrorResponse"


def test_form_unknown_parameters_ignored(daemon):
    r = query_call(daemon, "sts", dict(gci_params(), Unknown="1", **{"Nested.member.1": "x"}))
    assert r.status == 200, r


# ---- encodings ----------------------------------------------------------------------------------

@pytest.mark.parametrize("body", [b"\xff\xfe", b"\xff\xfe{\x00}\x00", b"\xc3("],
                         ids=["bom-only", "utf16", "broken-utf8"])
def test_non_utf8_body(daemon, body):
    json_error(sc(daemon, body), "SerializationException")
    assert serving(daemon)


def test_invalid_utf8_in_json_string(daemon):
    json_error(sc(daemon, b'{"AcceptLanguage": "\xff\xfe"}'), "SerializationException")


def test_utf8_strings_counted_in_characters(daemon):
    """Length constraints count characters, not bytes: 100 two-byte characters fit."""
    r = sc(daemon, json.dumps({"AcceptLanguage": "\u00e9" * 100}, ensure_ascii=False))
    assert r.status == 200, r
    r = sc(daemon, json.dumps({"AcceptLanguage": "\u00e9" * 101}, ensure_ascii=False))
    json_error(r, "ValidationException")
