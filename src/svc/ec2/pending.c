/* pending.c - operations not written yet (temporary). */
#include "svc/ec2/ec2_int.h"

err_t ec2_create_launch_template(api_ctx_t *c)
{
    return err_fail(c->eb, ERR_EC2_UNSUPPORTED_OPERATION, "not yet");
}

err_t ec2_create_launch_template_version(api_ctx_t *c)
{
    return err_fail(c->eb, ERR_EC2_UNSUPPORTED_OPERATION, "not yet");
}

err_t ec2_describe_launch_templates(api_ctx_t *c)
{
    return err_fail(c->eb, ERR_EC2_UNSUPPORTED_OPERATION, "not yet");
}

err_t ec2_describe_launch_template_versions(api_ctx_t *c)
{
    return err_fail(c->eb, ERR_EC2_UNSUPPORTED_OPERATION, "not yet");
}

err_t ec2_delete_launch_template(api_ctx_t *c)
{
    return err_fail(c->eb, ERR_EC2_UNSUPPORTED_OPERATION, "not yet");
}

err_t ec2_modify_launch_template(api_ctx_t *c)
{
    return err_fail(c->eb, ERR_EC2_UNSUPPORTED_OPERATION, "not yet");
}

err_t ec2_describe_instance_types(api_ctx_t *c)
{
    return err_fail(c->eb, ERR_EC2_UNSUPPORTED_OPERATION, "not yet");
}
