/* gst-rtmfp: RFC 7016 wire primitives
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "rtmfpwire.h"

#include <string.h>
#include <arpa/inet.h>

void
rtmfp_address_set_ipv4 (
    RtmfpAddress *a, guint8 b0, guint8 b1, guint8 b2, guint8 b3, guint16 port)
{
  memset (a, 0, sizeof (*a));
  a->family = 4;
  a->addr[0] = b0;
  a->addr[1] = b1;
  a->addr[2] = b2;
  a->addr[3] = b3;
  a->port = port;
}

gboolean
rtmfp_address_equal (const RtmfpAddress *a, const RtmfpAddress *b)
{
  if (a->family != b->family || a->port != b->port)
    return FALSE;
  return memcmp (a->addr, b->addr, a->family == 6 ? 16 : 4) == 0;
}

guint
rtmfp_address_hash (const RtmfpAddress *a)
{
  guint h = a->family * 31u + a->port;
  guint n = a->family == 6 ? 16 : 4;

  for (guint i = 0; i < n; i++)
    h = h * 33u + a->addr[i];
  return h;
}

const gchar *
rtmfp_address_to_string (const RtmfpAddress *a, gchar *buf)
{
  if (a->family == 4) {
    g_snprintf (buf, 64, "%u.%u.%u.%u:%u", a->addr[0], a->addr[1], a->addr[2],
        a->addr[3], a->port);
  } else if (a->family == 6) {
    char s[INET6_ADDRSTRLEN];

    inet_ntop (AF_INET6, a->addr, s, sizeof (s));
    g_snprintf (buf, 64, "[%s]:%u", s, a->port);
  } else {
    g_strlcpy (buf, "(none)", 64);
  }
  return buf;
}

gboolean
rtmfp_address_from_string (const gchar *s, RtmfpAddress *a)
{
  const gchar *colon;
  gchar host[64];
  gsize hlen;
  guint64 port;
  gchar *end = NULL;

  memset (a, 0, sizeof (*a));
  if (!s)
    return FALSE;
  if (s[0] == '[') {
    const gchar *close = strchr (s, ']');

    if (!close || close[1] != ':')
      return FALSE;
    hlen = close - s - 1;
    if (hlen == 0 || hlen >= sizeof (host))
      return FALSE;
    memcpy (host, s + 1, hlen);
    colon = close + 1;
  } else {
    colon = strrchr (s, ':');
    if (!colon)
      return FALSE;
    hlen = colon - s;
    if (hlen == 0 || hlen >= sizeof (host))
      return FALSE;
    memcpy (host, s, hlen);
  }
  host[hlen] = 0;
  port = g_ascii_strtoull (colon + 1, &end, 10);
  if (!end || *end || end == colon + 1 || port > 65535)
    return FALSE;
  if (s[0] != '[' && inet_pton (AF_INET, host, a->addr) == 1)
    a->family = 4;
  else if (s[0] == '[' && inet_pton (AF_INET6, host, a->addr) == 1)
    a->family = 6;
  else
    return FALSE;
  a->port = port;
  return TRUE;
}

gboolean
rtmfp_reader_u8 (RtmfpReader *r, guint8 *v)
{
  if (r->p >= r->end)
    return FALSE;
  *v = *r->p++;
  return TRUE;
}

gboolean
rtmfp_reader_u16 (RtmfpReader *r, guint16 *v)
{
  if (rtmfp_reader_left (r) < 2)
    return FALSE;
  *v = ((guint16) r->p[0] << 8) | r->p[1];
  r->p += 2;
  return TRUE;
}

gboolean
rtmfp_reader_u32 (RtmfpReader *r, guint32 *v)
{
  if (rtmfp_reader_left (r) < 4)
    return FALSE;
  *v = ((guint32) r->p[0] << 24) | ((guint32) r->p[1] << 16) |
      ((guint32) r->p[2] << 8) | r->p[3];
  r->p += 4;
  return TRUE;
}

gboolean
rtmfp_reader_vlu (RtmfpReader *r, guint64 *v)
{
  const guint8 *p = r->p;
  guint64 acc = 0;

  for (guint i = 0; i < RTMFP_VLU_MAX_BYTES; i++) {
    guint8 b;

    if (p >= r->end)
      return FALSE;
    b = *p++;
    if (acc > (G_MAXUINT64 >> 7))
      return FALSE; /* would overflow 64 bits */
    acc = (acc << 7) | (b & 0x7f);
    if (!(b & 0x80)) {
      r->p = p;
      *v = acc;
      return TRUE;
    }
  }
  return FALSE;
}

gboolean
rtmfp_reader_bytes (RtmfpReader *r, gsize len, const guint8 **p)
{
  if (rtmfp_reader_left (r) < len)
    return FALSE;
  *p = r->p;
  r->p += len;
  return TRUE;
}

gboolean
rtmfp_reader_vlu_bytes (RtmfpReader *r, const guint8 **p, gsize *len)
{
  RtmfpReader save = *r;
  guint64 n;

  if (!rtmfp_reader_vlu (r, &n) || n > rtmfp_reader_left (r)) {
    *r = save;
    return FALSE;
  }
  *len = (gsize) n;
  *p = r->p;
  r->p += n;
  return TRUE;
}

gboolean
rtmfp_reader_address (RtmfpReader *r, RtmfpAddress *a)
{
  RtmfpReader save = *r;
  guint8 flags;
  const guint8 *p;
  gsize n;

  memset (a, 0, sizeof (*a));
  if (!rtmfp_reader_u8 (r, &flags))
    return FALSE;
  n = (flags & 0x80) ? 16 : 4;
  if (!rtmfp_reader_bytes (r, n, &p) || !rtmfp_reader_u16 (r, &a->port)) {
    *r = save;
    return FALSE;
  }
  a->family = n == 16 ? 6 : 4;
  a->origin = flags & 0x03;
  memcpy (a->addr, p, n);
  return TRUE;
}

gboolean
rtmfp_reader_option (RtmfpReader *r, RtmfpOption *opt)
{
  RtmfpReader save = *r;
  guint64 len;
  RtmfpReader inner;

  memset (opt, 0, sizeof (*opt));
  if (!rtmfp_reader_vlu (r, &len))
    return FALSE;
  if (len == 0) {
    opt->is_marker = TRUE;
    return TRUE;
  }
  if (len > rtmfp_reader_left (r)) {
    *r = save;
    return FALSE;
  }
  rtmfp_reader_init (&inner, r->p, (gsize) len);
  if (!rtmfp_reader_vlu (&inner, &opt->type)) {
    *r = save;
    return FALSE;
  }
  opt->value = inner.p;
  opt->value_len = rtmfp_reader_left (&inner);
  r->p += len;
  return TRUE;
}

guint
rtmfp_vlu_size (guint64 v)
{
  guint n = 1;

  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}

guint
rtmfp_vlu_encode (guint8 *out, guint64 v)
{
  guint n = rtmfp_vlu_size (v);

  for (guint i = 0; i < n; i++) {
    guint shift = 7 * (n - 1 - i);

    out[i] = ((v >> shift) & 0x7f) | (i + 1 < n ? 0x80 : 0);
  }
  return n;
}

void
rtmfp_put_u8 (GByteArray *b, guint8 v)
{
  g_byte_array_append (b, &v, 1);
}

void
rtmfp_put_u16 (GByteArray *b, guint16 v)
{
  guint8 t[2] = { v >> 8, v };

  g_byte_array_append (b, t, 2);
}

void
rtmfp_put_u32 (GByteArray *b, guint32 v)
{
  guint8 t[4] = { v >> 24, v >> 16, v >> 8, v };

  g_byte_array_append (b, t, 4);
}

void
rtmfp_put_vlu (GByteArray *b, guint64 v)
{
  guint8 t[RTMFP_VLU_MAX_BYTES];

  g_byte_array_append (b, t, rtmfp_vlu_encode (t, v));
}

void
rtmfp_put_bytes (GByteArray *b, const guint8 *p, gsize len)
{
  if (len)
    g_byte_array_append (b, p, len);
}

void
rtmfp_put_vlu_bytes (GByteArray *b, const guint8 *p, gsize len)
{
  rtmfp_put_vlu (b, len);
  rtmfp_put_bytes (b, p, len);
}

void
rtmfp_put_option (
    GByteArray *b, guint64 type, const guint8 *value, gsize value_len)
{
  rtmfp_put_vlu (b, rtmfp_vlu_size (type) + value_len);
  rtmfp_put_vlu (b, type);
  rtmfp_put_bytes (b, value, value_len);
}

void
rtmfp_put_option_vlu (GByteArray *b, guint64 type, guint64 v)
{
  guint8 t[RTMFP_VLU_MAX_BYTES];

  rtmfp_put_option (b, type, t, rtmfp_vlu_encode (t, v));
}

void
rtmfp_put_marker (GByteArray *b)
{
  rtmfp_put_u8 (b, 0);
}

gsize
rtmfp_address_size (const RtmfpAddress *a)
{
  return 1 + (a->family == 6 ? 16 : 4) + 2;
}

void
rtmfp_put_address (GByteArray *b, const RtmfpAddress *a)
{
  rtmfp_put_u8 (b, (a->family == 6 ? 0x80 : 0) | (a->origin & 0x03));
  rtmfp_put_bytes (b, a->addr, a->family == 6 ? 16 : 4);
  rtmfp_put_u16 (b, a->port);
}
