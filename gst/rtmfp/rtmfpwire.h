/* gst-rtmfp: RFC 7016 wire primitives: VLUs, options, socket addresses
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Everything here reads from a bounded RtmfpReader: a read past the end
 * fails and leaves the reader unchanged, so parsers only check the result.
 */
#ifndef __RTMFP_WIRE_H__
#define __RTMFP_WIRE_H__

#include <glib.h>

G_BEGIN_DECLS

/* The longest VLU we accept: 10 bytes carry 70 bits, enough for 2^64 - 1;
 * anything longer, or a value above 2^64 - 1, is malformed. */
#define RTMFP_VLU_MAX_BYTES 10

/**
 * RtmfpAddress:
 * @family: 4 (IPv4) or 6 (IPv6); 0 means "no address"
 * @addr: the address in network byte order (4 or 16 bytes used)
 * @port: the port, host order
 * @origin: RFC 7016 2.1.5 origin tag (0..3); not part of equality
 *
 * A UDP socket address, as the platform hands it in and as RTMFP encodes it
 * in Redirect and FIHello chunks.
 */
typedef struct
{
  guint8 family;
  guint8 origin;
  guint16 port;
  guint8 addr[16];
} RtmfpAddress;

enum
{
  RTMFP_ADDRESS_ORIGIN_UNKNOWN = 0,
  RTMFP_ADDRESS_ORIGIN_LOCAL = 1,
  RTMFP_ADDRESS_ORIGIN_OBSERVED = 2,
  RTMFP_ADDRESS_ORIGIN_RELAY = 3,
};

void rtmfp_address_set_ipv4 (
    RtmfpAddress *a, guint8 b0, guint8 b1, guint8 b2, guint8 b3, guint16 port);
gboolean rtmfp_address_equal (const RtmfpAddress *a, const RtmfpAddress *b);
guint rtmfp_address_hash (const RtmfpAddress *a);
/* "1.2.3.4:5" or "[::1]:5"; @buf of at least 64 bytes. */
const gchar *rtmfp_address_to_string (const RtmfpAddress *a, gchar *buf);
/* Parses "1.2.3.4:5" or "[v6]:5" (as setPeerInfo carries them). */
gboolean rtmfp_address_from_string (const gchar *s, RtmfpAddress *a);

typedef struct
{
  const guint8 *p;
  const guint8 *end;
} RtmfpReader;

static inline void
rtmfp_reader_init (RtmfpReader *r, const guint8 *data, gsize len)
{
  r->p = data;
  r->end = data + len;
}

static inline gsize
rtmfp_reader_left (const RtmfpReader *r)
{
  return (gsize) (r->end - r->p);
}

gboolean rtmfp_reader_u8 (RtmfpReader *r, guint8 *v);
gboolean rtmfp_reader_u16 (RtmfpReader *r, guint16 *v);
gboolean rtmfp_reader_u32 (RtmfpReader *r, guint32 *v);
gboolean rtmfp_reader_vlu (RtmfpReader *r, guint64 *v);
/* @len bytes, pointed to (not copied). */
gboolean rtmfp_reader_bytes (RtmfpReader *r, gsize len, const guint8 **p);
/* A VLU length then that many bytes; the length must fit what is left. */
gboolean rtmfp_reader_vlu_bytes (RtmfpReader *r, const guint8 **p, gsize *len);
/* RFC 7016 2.1.5. */
gboolean rtmfp_reader_address (RtmfpReader *r, RtmfpAddress *a);

/* One option of an option list (RFC 7016 2.1.3). A marker (length 0) sets
 * @is_marker and nothing else. */
typedef struct
{
  gboolean is_marker;
  guint64 type;
  const guint8 *value;
  gsize value_len;
} RtmfpOption;

gboolean rtmfp_reader_option (RtmfpReader *r, RtmfpOption *opt);

/* Writers append to a GByteArray. */
guint rtmfp_vlu_size (guint64 v);
/* Writes @v at @out (at least RTMFP_VLU_MAX_BYTES free); returns its size. */
guint rtmfp_vlu_encode (guint8 *out, guint64 v);
void rtmfp_put_u8 (GByteArray *b, guint8 v);
void rtmfp_put_u16 (GByteArray *b, guint16 v);
void rtmfp_put_u32 (GByteArray *b, guint32 v);
void rtmfp_put_vlu (GByteArray *b, guint64 v);
void rtmfp_put_bytes (GByteArray *b, const guint8 *p, gsize len);
void rtmfp_put_vlu_bytes (GByteArray *b, const guint8 *p, gsize len);
void rtmfp_put_option (
    GByteArray *b, guint64 type, const guint8 *value, gsize value_len);
void rtmfp_put_option_vlu (GByteArray *b, guint64 type, guint64 v);
void rtmfp_put_marker (GByteArray *b);
gsize rtmfp_address_size (const RtmfpAddress *a);
void rtmfp_put_address (GByteArray *b, const RtmfpAddress *a);

G_END_DECLS

#endif
