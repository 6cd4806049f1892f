/* gst-rtmpe: XTEA block encryption
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "rtmpxtea.h"
#include "rtmpbytes.h"

#define XTEA_DELTA 0x9E3779B9u
#define XTEA_CYCLES 32

void
rtmp_xtea_encrypt_words (const guint32 k[4], guint32 v[2])
{
  guint32 v0 = v[0], v1 = v[1], sum = 0;

  for (guint i = 0; i < XTEA_CYCLES; i++) {
    v0 += (((v1 << 4) ^ (v1 >> 5)) + v1) ^ (sum + k[sum & 3]);
    sum += XTEA_DELTA;
    v1 += (((v0 << 4) ^ (v0 >> 5)) + v0) ^ (sum + k[(sum >> 11) & 3]);
  }
  v[0] = v0;
  v[1] = v1;
}

void
rtmp_xtea_encrypt_be (const guint8 key[16], const guint8 in[8], guint8 out[8])
{
  guint32 k[4], v[2];

  for (guint i = 0; i < 4; i++)
    k[i] = rtmp_read_u32_be (key + 4 * i);
  v[0] = rtmp_read_u32_be (in);
  v[1] = rtmp_read_u32_be (in + 4);
  rtmp_xtea_encrypt_words (k, v);
  rtmp_write_u32_be (out, v[0]);
  rtmp_write_u32_be (out + 4, v[1]);
}

void
rtmp_xtea_encrypt_le (const guint32 k[4], const guint8 in[8], guint8 out[8])
{
  guint32 v[2];

  v[0] = rtmp_read_u32_le (in);
  v[1] = rtmp_read_u32_le (in + 4);
  rtmp_xtea_encrypt_words (k, v);
  rtmp_write_u32_le (out, v[0]);
  rtmp_write_u32_le (out + 4, v[1]);
}
