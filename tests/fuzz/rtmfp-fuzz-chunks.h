/* gst-rtmfp fuzz targets: run one chunk through its parser and check what
 * comes out stays inside the input
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __RTMFP_FUZZ_CHUNKS_H__
#define __RTMFP_FUZZ_CHUNKS_H__

#include "rtmfpchunk.h"
#include "rtmfpflash.h"

#define IN(ptr, n) g_assert ((n) == 0 || ((ptr) >= p && (ptr) + (n) <= p + len))

static inline void
fuzz_one_chunk (guint8 type, const guint8 *p, gsize len, gboolean *have_prev)
{
  switch (type) {
    case RTMFP_CHUNK_FRAGMENT: {
      RtmfpFragmentChunk c;
      if (rtmfp_fragment_chunk_parse (p, len, &c))
        IN (c.data, c.data_len);
      break;
    }
    case RTMFP_CHUNK_IHELLO: {
      RtmfpIHelloChunk c;
      RtmfpEpdInfo e;
      if (rtmfp_ihello_chunk_parse (p, len, &c)) {
        IN (c.epd, c.epd_len);
        IN (c.tag, c.tag_len);
        if (rtmfp_epd_parse (c.epd, c.epd_len, &e) && e.fingerprint)
          IN (e.fingerprint, 32);
      }
      break;
    }
    case RTMFP_CHUNK_FIHELLO: {
      RtmfpFIHelloChunk c;
      if (rtmfp_fihello_chunk_parse (p, len, &c)) {
        IN (c.epd, c.epd_len);
        IN (c.tag, c.tag_len);
      }
      break;
    }
    case RTMFP_CHUNK_RHELLO: {
      RtmfpRHelloChunk c;
      RtmfpCertInfo ci;
      guint8 id[32];
      if (rtmfp_rhello_chunk_parse (p, len, &c)) {
        IN (c.cookie, c.cookie_len);
        IN (c.cert, c.cert_len);
        if (rtmfp_cert_parse (c.cert, c.cert_len, &ci)) {
          for (guint i = 0; i < ci.n_keys; i++)
            IN (ci.keys[i].key, ci.keys[i].key_len);
          (void) rtmfp_cert_offers_group (&ci, 2);
        }
        rtmfp_cert_fingerprint (c.cert, c.cert_len, id);
      }
      break;
    }
    case RTMFP_CHUNK_REDIRECT: {
      RtmfpRedirectChunk *c = g_new0 (RtmfpRedirectChunk, 1);
      if (rtmfp_redirect_chunk_parse (p, len, c))
        g_assert (c->n_addresses <= RTMFP_REDIRECT_MAX_ADDRESSES);
      g_free (c);
      break;
    }
    case RTMFP_CHUNK_COOKIE_CHANGE: {
      RtmfpCookieChangeChunk c;
      if (rtmfp_cookie_change_chunk_parse (p, len, &c)) {
        IN (c.old_cookie, c.old_cookie_len);
        IN (c.new_cookie, c.new_cookie_len);
      }
      break;
    }
    case RTMFP_CHUNK_IIKEYING: {
      RtmfpIIKeyingChunk c;
      RtmfpKeyingInfo ki;
      if (rtmfp_iikeying_chunk_parse (p, len, &c)) {
        IN (c.skic, c.skic_len);
        IN (c.signature, c.signature_len);
        if (rtmfp_keying_parse (c.skic, c.skic_len, &ki))
          for (guint i = 0; i < ki.n_dh; i++)
            IN (ki.dh[i].key, ki.dh[i].key_len);
      }
      break;
    }
    case RTMFP_CHUNK_RIKEYING: {
      RtmfpRIKeyingChunk c;
      RtmfpKeyingInfo ki;
      if (rtmfp_rikeying_chunk_parse (p, len, &c)) {
        IN (c.skrc, c.skrc_len);
        (void) rtmfp_keying_parse (c.skrc, c.skrc_len, &ki);
      }
      break;
    }
    case RTMFP_CHUNK_USER_DATA:
    case RTMFP_CHUNK_NEXT_USER_DATA: {
      RtmfpUserDataChunk c;
      gboolean next = type == RTMFP_CHUNK_NEXT_USER_DATA;
      if (next && !*have_prev)
        break;
      if (rtmfp_user_data_chunk_parse (p, len, next, &c)) {
        IN (c.data, c.data_len);
        if (c.metadata)
          IN (c.metadata, c.metadata_len);
        if (!next)
          g_assert (c.fsn_offset <= c.seq);
        *have_prev = TRUE;
      } else {
        *have_prev = FALSE;
      }
      return;
    }
    case RTMFP_CHUNK_ACK_BITMAP:
    case RTMFP_CHUNK_ACK_RANGES: {
      RtmfpAckChunk c;
      RtmfpAckIter it;
      guint64 from, to, last = 0;
      guint n = 0;
      if (rtmfp_ack_chunk_parse (p, len, type == RTMFP_CHUNK_ACK_RANGES, &c)) {
        rtmfp_ack_iter_init (&it, &c);
        while (rtmfp_ack_iter_next (&it, &from, &to) && n++ < 100000) {
          g_assert (from <= to);
          g_assert (from > c.cum_ack + 1);
          g_assert (n == 1 || from > last + 1);
          last = to;
        }
      }
      break;
    }
    case RTMFP_CHUNK_BUFFER_PROBE: {
      guint64 f;
      (void) rtmfp_buffer_probe_chunk_parse (p, len, &f);
      break;
    }
    case RTMFP_CHUNK_FLOW_EXCEPTION: {
      guint64 f, c;
      (void) rtmfp_flow_exception_chunk_parse (p, len, &f, &c);
      break;
    }
    default:
      break;
  }
  *have_prev = FALSE;
}

#endif
