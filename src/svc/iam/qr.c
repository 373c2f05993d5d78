/* qr.c - QR code PNGs (libqrencode for the code, libpng for the picture). */
#include "svc/iam/qr.h"

#include "core/enc.h"

#include <png.h>
#include <qrencode.h>
#include <stdlib.h>
#include <string.h>

#define QR_SCALE 4
#define QR_QUIET 4

static void qr_write(png_structp png, png_bytep data, png_size_t n)
{
    buf_t *b = png_get_io_ptr(png);
    if (!buf_add(b, data, n)) png_error(png, "too large");
}

static void qr_flush(png_structp png)
{
    (void)png;
}

/* The PNG of q into b (a grey image, black modules on white); false on failure. */
static bool qr_png(const QRcode *q, buf_t *b)
{
    int side = (q->width + 2 * QR_QUIET) * QR_SCALE;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    unsigned char *row = malloc((size_t)side);
    volatile bool ok = png && info && row;
    if (ok && setjmp(png_jmpbuf(png)))
        ok = false;
    else if (ok) {
        png_set_write_fn(png, b, qr_write, qr_flush);
        png_set_IHDR(png, info, (png_uint_32)side, (png_uint_32)side, 8, PNG_COLOR_TYPE_GRAY,
                     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
        png_write_info(png, info);
        for (int y = 0; y < side; y++) {
            int my = y / QR_SCALE - QR_QUIET;
            for (int x = 0; x < side; x++) {
                int mx = x / QR_SCALE - QR_QUIET;
                bool dark = mx >= 0 && my >= 0 && mx < q->width && my < q->width &&
                            (q->data[my * q->width + mx] & 1);
                row[x] = dark ? 0 : 255;
            }
            png_write_row(png, row);
        }
        png_write_end(png, NULL);
    }
    png_destroy_write_struct(png ? &png : NULL, info ? &info : NULL);
    free(row);
    return ok;
}

bool iam_qr_png_base64(const char *text, buf_t *out)
{
    QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (!q) return false;
    buf_t png;
    buf_init(&png, 1 << 20);
    bool ok = qr_png(q, &png) && enc_base64(out, png.p, png.len);
    QRcode_free(q);
    buf_free(&png);
    return ok;
}
