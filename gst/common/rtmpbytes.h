/* gst-rtmpe: unaligned big- and little-endian loads and stores
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The caller has checked the bounds; these only move bytes.
 */
#ifndef __RTMP_BYTES_H__
#define __RTMP_BYTES_H__

#include <glib.h>

static inline guint32
rtmp_read_u24_be (const guint8 *p)
{
  return ((guint32) p[0] << 16) | ((guint32) p[1] << 8) | p[2];
}

static inline guint32
rtmp_read_u32_be (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) |
      ((guint32) p[2] << 8) | p[3];
}

static inline guint32
rtmp_read_u32_le (const guint8 *p)
{
  return ((guint32) p[3] << 24) | ((guint32) p[2] << 16) |
      ((guint32) p[1] << 8) | p[0];
}

static inline void
rtmp_write_u24_be (guint8 *p, guint32 v)
{
  p[0] = v >> 16;
  p[1] = v >> 8;
  p[2] = v;
}

static inline void
rtmp_write_u32_be (guint8 *p, guint32 v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

static inline void
rtmp_write_u32_le (guint8 *p, guint32 v)
{
  p[0] = v;
  p[1] = v >> 8;
  p[2] = v >> 16;
  p[3] = v >> 24;
}

#endif
