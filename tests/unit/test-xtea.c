/* gst-rtmpe: XTEA
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The big-endian vectors are the standard ones also used by
 * libavutil/tests/xtea.c; the little-endian form is the same vectors with
 * every 32-bit word byte-swapped (as that test builds it). The RTMPE-key
 * values were computed with an independent throwaway Python XTEA (itself
 * checked against the standard vectors), kept out of the repository.
 */
#include <string.h>
#include <glib.h>

#include "rtmpxtea.h"
#include "rtmpbytes.h"

static const struct
{
  guint8 key[16];
  guint8 pt[8];
  guint8 ct[8];
} vectors[] = {
  { { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
        0x0c, 0x0d, 0x0e, 0x0f },
      { 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48 },
      { 0x49, 0x7d, 0xf3, 0xd0, 0x72, 0x61, 0x2c, 0xb5 } },
  { { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
        0x0c, 0x0d, 0x0e, 0x0f },
      { 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41 },
      { 0xe7, 0x8f, 0x2d, 0x13, 0x74, 0x43, 0x41, 0xd8 } },
  { { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
        0x0c, 0x0d, 0x0e, 0x0f },
      { 0x5a, 0x5b, 0x6e, 0x27, 0x89, 0x48, 0xd7, 0x7f },
      { 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41 } },
  { { 0 }, { 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48 },
      { 0xa0, 0x39, 0x05, 0x89, 0xf8, 0xb8, 0xef, 0xa5 } },
  { { 0 }, { 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41 },
      { 0xed, 0x23, 0x37, 0x5a, 0x82, 0x1a, 0x8c, 0x2d } },
  { { 0 }, { 0x70, 0xe1, 0x22, 0x5d, 0x6e, 0x4e, 0x76, 0x55 },
      { 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41 } },
};

static void
test_big_endian (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (vectors); i++) {
    guint8 buf[8];

    rtmp_xtea_encrypt_be (vectors[i].key, vectors[i].pt, buf);
    g_assert_cmpmem (buf, 8, vectors[i].ct, 8);
    /* in place */
    memcpy (buf, vectors[i].pt, 8);
    rtmp_xtea_encrypt_be (vectors[i].key, buf, buf);
    g_assert_cmpmem (buf, 8, vectors[i].ct, 8);
  }
}

static void
test_little_endian (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (vectors); i++) {
    guint32 k[4];
    guint8 pt[8], ct[8], buf[8];

    for (guint j = 0; j < 4; j++)
      k[j] = rtmp_read_u32_be (vectors[i].key + 4 * j);
    for (guint j = 0; j < 2; j++) {
      rtmp_write_u32_le (pt + 4 * j, rtmp_read_u32_be (vectors[i].pt + 4 * j));
      rtmp_write_u32_le (ct + 4 * j, rtmp_read_u32_be (vectors[i].ct + 4 * j));
    }
    rtmp_xtea_encrypt_le (k, pt, buf);
    g_assert_cmpmem (buf, 8, ct, 8);
  }
}

/* RTMPE type 8 keys 0 and 14 over 00 01 .. 07 */
static void
test_rtmpe_keys (void)
{
  static const guint32 key0[4] = { 0xbff034b2, 0x11d9081f, 0xccdfb795,
    0x748de732 };
  static const guint32 key14[4] = { 0xfeb1eae4, 0x8c8c3ce1, 0x4e0064a7,
    0x6a387c2a };
  static const guint8 in[8] = { 0, 1, 2, 3, 4, 5, 6, 7 };
  static const guint8 out0[8] = { 0xc7, 0xc8, 0x2a, 0xca, 0x95, 0xda, 0xa4,
    0x19 };
  static const guint8 out14[8] = { 0xb7, 0xee, 0xcf, 0xdd, 0xa2, 0x30, 0x7f,
    0x55 };
  guint8 buf[8];

  rtmp_xtea_encrypt_le (key0, in, buf);
  g_assert_cmpmem (buf, 8, out0, 8);
  rtmp_xtea_encrypt_le (key14, in, buf);
  g_assert_cmpmem (buf, 8, out14, 8);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/xtea/big-endian", test_big_endian);
  g_test_add_func ("/xtea/little-endian", test_little_endian);
  g_test_add_func ("/xtea/rtmpe-keys", test_rtmpe_keys);
  return g_test_run ();
}
