/* errors.c - the three AWS error documents (DESIGN §2): awsJson1_1 {"__type","message"},
 * query <ErrorResponse>, ec2 <Response><Errors>. */
#include "proto/proto.h"

proto_error_doc_t proto_error_encode(err_proto_t p, const char *xml_ns, err_t e, const char *msg,
                                     const char *request_id, buf_t *out)
{
    proto_error_doc_t d = {err_status(e, p), NULL};
    const char *code = err_code(e, p);
    span_t m = span_of(msg ? msg : "");
    switch (p) {
    case ERR_PROTO_JSON:
        d.content_type = "application/x-amz-json-1.1";
        buf_printf(out, "{\"__type\":\"%s\",\"message\":\"", code);
        proto_json_escape(out, m);
        buf_adds(out, "\"}");
        break;
    case ERR_PROTO_QUERY:
        d.content_type = "text/xml";
        if (xml_ns)
            buf_printf(out, "<ErrorResponse xmlns=\"%s\">", xml_ns);
        else
            buf_adds(out, "<ErrorResponse>");
        buf_printf(out, "<Error><Type>%s</Type><Code>%s</Code><Message>",
                   d.status >= 500 ? "Receiver" : "Sender", code);
        proto_xml_escape(out, m);
        buf_printf(out, "</Message></Error><RequestId>%s</RequestId></ErrorResponse>", request_id);
        break;
    case ERR_PROTO_EC2:
        d.content_type = "text/xml;charset=UTF-8";
        buf_printf(out,
                   "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>%s"
                   "</Code><Message>",
                   code);
        proto_xml_escape(out, m);
        buf_printf(out, "</Message></Error></Errors><RequestID>%s</RequestID></Response>",
                   request_id);
        break;
    }
    return d;
}
