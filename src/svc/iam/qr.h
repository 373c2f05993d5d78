/* qr.h - the QR code picture CreateVirtualMFADevice returns (QRCodePNG): the otpauth URI
 * an authenticator app scans, as a PNG. */
#ifndef CATALOGD_IAM_QR_H
#define CATALOGD_IAM_QR_H

#include "core/buf.h"

/* Appends base64 of a PNG of text's QR code (4 pixels a module, quiet zone of 4) to out;
 * false when text does not fit a QR code or out's cap would be passed. */
bool iam_qr_png_base64(const char *text, buf_t *out);

#endif
