/* ssm_cmd.h - what Run Command offers outside svc/ssm: the `catalogd command-output`
 * subcommand, catalogd's extension for reading a plugin's whole output (the API shows the
 * first 24,000 characters, as AWS does; AWS would put the rest in S3). */
#ifndef CATALOGD_SSM_CMD_H
#define CATALOGD_SSM_CMD_H

/* `catalogd command-output COMMAND_ID INSTANCE_ID [--plugin N] [--stderr]
 * [--data-dir DIR]`: copies the whole stdout (or stderr) of plugin N (0, the first, by
 * default) of that invocation, as the node produced it (up to NODE_OUTPUT_CAP bytes), to
 * standard output. DIR defaults to $CATALOGD_DATA_DIR, then ./catalogd-data. Returns the
 * process exit status: 0, 1 when there is no such output (yet), 2 on bad usage. */
int ssm_command_output_main(int argc, char **argv);

#endif
