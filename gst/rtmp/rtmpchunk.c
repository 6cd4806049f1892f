/* gst-rtmpe: the RTMP chunk stream, bytes <-> RtmpMessage
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Wire format: RTMP specification section 5.3 with the errata (M.
 * Thornburgh, "RTMP Errata and Addenda", sections 4.1, 4.2, 5.1, 6): the
 * 3-byte basic header and the message stream id are little-endian, the
 * extended timestamp is part of the chunk header and is present in every
 * type 3 chunk while the latest type 0/1/2 header of the chunk stream
 * indicated it, and Abort drops one partial message while the timestamp of
 * that message stays established. docs/chunk-stream.md explains the
 * choices made where peers disagree.
 */
#include "rtmpchunk.h"

#include <string.h>

#include "rtmpbytes.h"
#include "rtmperror.h"
#include "rtmplimits.h"

GST_DEBUG_CATEGORY_STATIC (rtmp_chunk_debug);
#define GST_CAT_DEFAULT rtmp_chunk_debug

static void
init_debug (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (
        rtmp_chunk_debug, "rtmpe-chunk", 0, "RTMP chunk stream");
    g_once_init_leave (&done, 1);
  }
}

#define EXT_TS_MARK 0xFFFFFF

/* ------------------------------------------------------------------------
 * Chunk stream table: direct for the one-byte ids, hashed above
 * ------------------------------------------------------------------------ */

typedef struct
{
  gpointer low[64];
  GHashTable *high;
} CsTable;

static inline gpointer
cs_table_lookup (CsTable *t, guint32 csid)
{
  if (G_LIKELY (csid < 64))
    return t->low[csid];
  return t->high ? g_hash_table_lookup (t->high, GUINT_TO_POINTER (csid)) :
                   NULL;
}

static void
cs_table_insert (CsTable *t, guint32 csid, gpointer v)
{
  if (csid < 64) {
    t->low[csid] = v;
    return;
  }
  if (!t->high)
    t->high = g_hash_table_new (g_direct_hash, g_direct_equal);
  g_hash_table_insert (t->high, GUINT_TO_POINTER (csid), v);
}

static void
cs_table_clear (CsTable *t, GDestroyNotify free_func)
{
  for (guint i = 0; i < 64; i++) {
    if (t->low[i])
      free_func (t->low[i]);
    t->low[i] = NULL;
  }
  if (t->high) {
    GHashTableIter it;
    gpointer v;

    g_hash_table_iter_init (&it, t->high);
    while (g_hash_table_iter_next (&it, NULL, &v))
      free_func (v);
    g_hash_table_destroy (t->high);
    t->high = NULL;
  }
}

/* ------------------------------------------------------------------------
 * Reader
 * ------------------------------------------------------------------------ */

typedef struct
{
  guint32 csid;
  /* from the headers of the latest message started on this chunk stream */
  guint32 timestamp; /* absolute */
  guint32 ts_field; /* what a type 3 header starting a message adds */
  guint32 ext_value; /* extended timestamp of the message's first chunk */
  guint32 length;
  guint32 stream_id;
  guint8 type;
  gboolean ext; /* the latest type 0/1/2 header had an extended timestamp */
  /* the message being received */
  gboolean in_progress;
  guint32 received;
  GstMemory *mem; /* allocated when the first payload byte is copied */
  GstMapInfo map;
} ChunkIn;

/* Whether the peer repeats the extended timestamp in the type 3 chunks that
 * continue a message: learnt from the first such chunk, then fixed. */
typedef enum
{
  EXT_CONT_UNKNOWN,
  EXT_CONT_REPEATED,
  EXT_CONT_OMITTED,
} ExtContinuation;

struct _RtmpChunkReader
{
  guint32 chunk_size;
  guint32 window_ack_size;
  guint64 bytes_received;
  guint64 acked;

  guint max_streams;
  gsize max_pending;
  guint n_streams;
  gsize pending; /* sum of the lengths of the messages in progress */
  CsTable streams;

  ChunkIn *cur; /* the chunk whose payload comes next, or NULL */
  guint32 chunk_left; /* payload bytes of that chunk still to come */

  guint8 hdr[RTMP_CHUNK_HEADER_MAX]; /* a header split across pushes */
  guint hdr_len;
  guint64 hdr_offset;

  ExtContinuation ext_cont;
  GError *error;

  GPtrArray *out;
  guint out_head;
};

static void
chunk_in_drop_message (ChunkIn *cs)
{
  if (cs->mem) {
    gst_memory_unmap (cs->mem, &cs->map);
    gst_memory_unref (cs->mem);
    cs->mem = NULL;
  }
  cs->in_progress = FALSE;
  cs->received = 0;
}

static void
chunk_in_free (gpointer p)
{
  ChunkIn *cs = p;

  chunk_in_drop_message (cs);
  g_free (cs);
}

RtmpChunkReader *
rtmp_chunk_reader_new (void)
{
  RtmpChunkReader *r = g_new0 (RtmpChunkReader, 1);

  init_debug ();
  r->chunk_size = RTMP_CHUNK_SIZE_DEFAULT;
  r->max_streams = RTMP_MAX_CHUNK_STREAMS;
  r->max_pending = RTMP_MAX_PENDING_BYTES;
  r->out = g_ptr_array_new ();
  return r;
}

void
rtmp_chunk_reader_free (RtmpChunkReader *r)
{
  if (!r)
    return;
  cs_table_clear (&r->streams, chunk_in_free);
  for (guint i = r->out_head; i < r->out->len; i++)
    rtmp_message_free (r->out->pdata[i]);
  g_ptr_array_free (r->out, TRUE);
  g_clear_error (&r->error);
  g_free (r);
}

void
rtmp_chunk_reader_set_limits (
    RtmpChunkReader *r, guint max_chunk_streams, gsize max_pending_bytes)
{
  if (max_chunk_streams)
    r->max_streams = MIN (max_chunk_streams, RTMP_MAX_CHUNK_STREAMS);
  if (max_pending_bytes)
    r->max_pending = MIN (max_pending_bytes, RTMP_MAX_PENDING_BYTES);
}

static inline guint32
chunk_payload_size (RtmpChunkReader *r, ChunkIn *cs)
{
  return MIN (r->chunk_size, cs->length - cs->received);
}

/* A whole message: act on the protocol control messages the chunk stream
 * itself obeys, then queue it. @end is the stream offset just past it. */
static gboolean
reader_complete (RtmpChunkReader *r, ChunkIn *cs, GstBuffer *payload,
    guint64 end, GError **error)
{
  RtmpMessage *msg;
  guint8 body[4];
  gsize body_len;
  guint32 v;

  msg = rtmp_message_new (cs->type, cs->timestamp, cs->stream_id, payload);
  msg->chunk_stream_id = cs->csid;
  GST_DEBUG ("received %s (%u) length %u timestamp %u stream %u on chunk "
             "stream %u",
      rtmp_message_type_name (cs->type), cs->type, cs->length, cs->timestamp,
      cs->stream_id, cs->csid);

  switch (cs->type) {
    case RTMP_MESSAGE_TYPE_SET_CHUNK_SIZE:
    case RTMP_MESSAGE_TYPE_ABORT:
    case RTMP_MESSAGE_TYPE_WINDOW_ACK_SIZE:
      body_len = gst_buffer_extract (payload, 0, body, sizeof (body));
      if (body_len < 4) {
        if (cs->type == RTMP_MESSAGE_TYPE_WINDOW_ACK_SIZE) {
          GST_WARNING ("ignoring a Window Acknowledgement Size message of "
                       "%" G_GSIZE_FORMAT
                       " bytes ending at byte offset %" G_GUINT64_FORMAT,
              body_len, end);
          break;
        }
        g_set_error (error, RTMP_ERROR, RTMP_ERROR_TRUNCATED,
            "%s message ending at byte offset %" G_GUINT64_FORMAT
            " on chunk stream %u: body of %" G_GSIZE_FORMAT " bytes, 4 needed",
            cs->type == RTMP_MESSAGE_TYPE_ABORT ? "Abort" : "Set Chunk Size",
            end, cs->csid, body_len);
        rtmp_message_free (msg);
        return FALSE;
      }
      v = rtmp_read_u32_be (body);
      if (cs->type == RTMP_MESSAGE_TYPE_SET_CHUNK_SIZE) {
        if (v == 0 || v > RTMP_CHUNK_SIZE_MAX) {
          g_set_error (error, RTMP_ERROR, RTMP_ERROR_INVALID,
              "Set Chunk Size message ending at byte offset %" G_GUINT64_FORMAT
              ": chunk size %u (0x%08x) is not in 1..0x7fffffff",
              end, v, v);
          rtmp_message_free (msg);
          return FALSE;
        }
        GST_DEBUG ("peer chunk size %u -> %u", r->chunk_size, v);
        r->chunk_size = v;
      } else if (cs->type == RTMP_MESSAGE_TYPE_ABORT) {
        ChunkIn *target = NULL;

        if (v <= RTMP_CHUNK_STREAM_MAX)
          target = cs_table_lookup (&r->streams, v);
        if (target && target->in_progress) {
          GST_DEBUG ("abort: dropping %u of %u bytes of a message on chunk "
                     "stream %u",
              target->received, target->length, v);
          r->pending -= target->length;
          chunk_in_drop_message (target);
        } else {
          GST_DEBUG ("abort: no partial message on chunk stream %u", v);
        }
      } else {
        GST_DEBUG ("peer window acknowledgement size %u", v);
        r->window_ack_size = v;
      }
      break;
    default:
      break;
  }

  g_ptr_array_add (r->out, msg);
  return TRUE;
}

/* Parses the chunk header at @p. Returns its length once it is whole and
 * applied, 0 when more than @avail bytes are needed (nothing changed), -1
 * on error. @off is the stream offset of @p[0]. */
static gssize
reader_parse_header (RtmpChunkReader *r, const guint8 *p, gsize avail,
    guint64 off, GError **error)
{
  static const guint8 mh_size[4] = { 11, 7, 3, 0 };
  guint fmt, bh, need;
  guint32 csid, tsf = 0, extv = 0;
  gboolean ext, ext_present;
  ChunkIn *cs;

  fmt = p[0] >> 6;
  switch (p[0] & 0x3f) {
    case 0:
      bh = 2;
      if (avail < 2)
        return 0;
      csid = 64 + (guint32) p[1];
      break;
    case 1:
      bh = 3;
      if (avail < 3)
        return 0;
      csid = 64 + ((guint32) p[1] | ((guint32) p[2] << 8));
      break;
    default:
      bh = 1;
      csid = p[0] & 0x3f;
      break;
  }

  cs = cs_table_lookup (&r->streams, csid);
  /* A type 1 header carries everything but the message stream id, so a
   * chunk stream may start with one: librtmp sends the header type its
   * caller asks for, and rtmpsrv begins chunk streams 2 and 3 with type 1.
   * Like librtmp, FFmpeg and nginx-rtmp, take the missing fields as zeros:
   * message stream 0, the timestamp delta counted from 0. Types 2 and 3
   * lack the length. */
  if (G_UNLIKELY (!cs && fmt >= 2)) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_PROTOCOL,
        "chunk at byte offset %" G_GUINT64_FORMAT
        ": type %u header on chunk stream %u, which has had no type 0 header",
        off, fmt, csid);
    return -1;
  }

  need = bh + mh_size[fmt];
  if (avail < need)
    return 0;

  if (fmt < 3) {
    tsf = rtmp_read_u24_be (p + bh);
    ext = ext_present = (tsf == EXT_TS_MARK);
  } else {
    ext = ext_present = cs->ext;
    if (ext && cs->in_progress) {
      /* a continuation chunk: the errata says the field is there; accept
       * peers that leave it out (see docs/chunk-stream.md) */
      if (r->ext_cont == EXT_CONT_OMITTED) {
        ext_present = FALSE;
      } else if (r->ext_cont == EXT_CONT_UNKNOWN) {
        if (avail < need + 4)
          return 0;
        if (rtmp_read_u32_be (p + need) == cs->ext_value) {
          r->ext_cont = EXT_CONT_REPEATED;
          GST_DEBUG ("peer repeats the extended timestamp in continuation "
                     "chunks (chunk at byte offset %" G_GUINT64_FORMAT ")",
              off);
        } else {
          r->ext_cont = EXT_CONT_OMITTED;
          ext_present = FALSE;
          GST_WARNING (
              "peer leaves the extended timestamp out of "
              "continuation chunks (chunk at byte offset %" G_GUINT64_FORMAT
              "); accepting that from now on",
              off);
        }
      }
    }
  }
  if (ext_present) {
    if (avail < need + 4)
      return 0;
    extv = rtmp_read_u32_be (p + need);
    need += 4;
  }

  /* the header is whole: apply it */
  if (cs && cs->in_progress) {
    if (G_UNLIKELY (fmt < 3)) {
      guint32 length = fmt <= 1 ? rtmp_read_u24_be (p + bh + 3) : cs->length;
      guint8 type = fmt <= 1 ? p[bh + 6] : cs->type;
      guint32 sid = fmt == 0 ? rtmp_read_u32_le (p + bh + 7) : cs->stream_id;

      if (length != cs->length || type != cs->type || sid != cs->stream_id) {
        g_set_error (error, RTMP_ERROR, RTMP_ERROR_PROTOCOL,
            "chunk at byte offset %" G_GUINT64_FORMAT
            ": type %u header on chunk stream %u changes the message "
            "(length %u -> %u, type %u -> %u, stream %u -> %u) after %u of "
            "its %u bytes",
            off, fmt, csid, cs->length, length, cs->type, type, cs->stream_id,
            sid, cs->received, cs->length);
        return -1;
      }
      GST_WARNING ("chunk at byte offset %" G_GUINT64_FORMAT
                   ": type %u header in the middle of a message on chunk "
                   "stream %u; taken as a continuation",
          off, fmt, csid);
    }
    GST_TRACE ("chunk at %" G_GUINT64_FORMAT ": type %u continuation on chunk "
               "stream %u, %u of %u bytes received",
        off, fmt, csid, cs->received, cs->length);
  } else {
    guint32 delta;

    if (!cs) {
      if (G_UNLIKELY (r->n_streams >= r->max_streams)) {
        g_set_error (error, RTMP_ERROR, RTMP_ERROR_TOO_LARGE,
            "chunk at byte offset %" G_GUINT64_FORMAT
            ": chunk stream %u would be chunk stream number %u with state, "
            "over the cap of %u",
            off, csid, r->n_streams + 1, r->max_streams);
        return -1;
      }
      cs = g_new0 (ChunkIn, 1);
      cs->csid = csid;
      cs_table_insert (&r->streams, csid, cs);
      r->n_streams++;
      if (fmt == 1)
        GST_WARNING ("chunk at byte offset %" G_GUINT64_FORMAT
                     ": chunk stream %u starts with a type 1 header; taken "
                     "as message stream 0, timestamp counted from 0",
            off, csid);
    }

    switch (fmt) {
      case 0:
        cs->stream_id = rtmp_read_u32_le (p + bh + 7);
        /* fall through */
      case 1:
        cs->length = rtmp_read_u24_be (p + bh + 3);
        cs->type = p[bh + 6];
        break;
      default:
        break;
    }
    if (fmt < 3)
      cs->ext = ext;
    cs->ext_value = extv;

    if (fmt == 0) {
      cs->timestamp = ext ? extv : tsf;
      cs->ts_field = cs->timestamp;
    } else {
      if (fmt < 3)
        delta = ext ? extv : tsf;
      else
        delta = ext ? extv : cs->ts_field;
      cs->timestamp += delta;
      cs->ts_field = delta;
    }
    GST_TRACE ("chunk at %" G_GUINT64_FORMAT ": type %u on chunk stream %u "
               "starts %s (%u) length %u timestamp %u stream %u",
        off, fmt, csid, rtmp_message_type_name (cs->type), cs->type, cs->length,
        cs->timestamp, cs->stream_id);

    if (cs->length > 0) {
      if (G_UNLIKELY (r->pending + cs->length > r->max_pending)) {
        g_set_error (error, RTMP_ERROR, RTMP_ERROR_TOO_LARGE,
            "chunk at byte offset %" G_GUINT64_FORMAT
            ": a message of %u bytes on chunk stream %u would make "
            "%" G_GSIZE_FORMAT
            " bytes of partial messages, over the cap of %" G_GSIZE_FORMAT,
            off, cs->length, csid, r->pending + cs->length, r->max_pending);
        return -1;
      }
      r->pending += cs->length;
      cs->in_progress = TRUE;
      cs->received = 0;
    } else {
      if (!reader_complete (r, cs, gst_buffer_new (), off + need, error))
        return -1;
      return need;
    }
  }

  r->cur = cs;
  r->chunk_left = chunk_payload_size (r, cs);
  return need;
}

/* Consumes @len bytes at stream offset @base. @mem, when not NULL, is the
 * memory @data is the whole mapping of: single-chunk messages are then
 * shared from it. */
static gboolean
reader_process (RtmpChunkReader *r, const guint8 *data, gsize len,
    GstMemory *mem, guint64 base, GError **error)
{
  gsize pos = 0;

  while (pos < len) {
    ChunkIn *cs = r->cur;
    gsize n;

    if (!cs) {
      gssize res;

      if (r->hdr_len > 0) {
        guint old = r->hdr_len;
        gsize take = MIN (sizeof (r->hdr) - old, len - pos);

        memcpy (r->hdr + old, data + pos, take);
        res = reader_parse_header (r, r->hdr, old + take, r->hdr_offset, error);
        if (res < 0)
          return FALSE;
        if (res == 0) {
          g_assert (take == len - pos);
          r->hdr_len = old + take;
          pos += take;
          continue;
        }
        r->hdr_len = 0;
        if ((gsize) res >= old) {
          pos += res - old;
        } else {
          /* the header was shorter than the bytes looked at (a continuation
           * chunk without the extended timestamp): the rest of the stash is
           * payload, to be taken before the input */
          guint8 replay[RTMP_CHUNK_HEADER_MAX];
          gsize k = old - res;

          memcpy (replay, r->hdr + res, k);
          if (!reader_process (r, replay, k, NULL, r->hdr_offset + res, error))
            return FALSE;
        }
        continue;
      }

      res = reader_parse_header (r, data + pos, len - pos, base + pos, error);
      if (res < 0)
        return FALSE;
      if (res == 0) {
        g_assert (len - pos < sizeof (r->hdr));
        memcpy (r->hdr, data + pos, len - pos);
        r->hdr_len = len - pos;
        r->hdr_offset = base + pos;
        GST_TRACE (
            "%u bytes of a chunk header kept for the next push", r->hdr_len);
        break;
      }
      pos += res;
      continue;
    }

    n = MIN (r->chunk_left, len - pos);
    if (cs->received == 0 && n == cs->length && mem) {
      /* the whole message is here in one chunk: share, don't copy */
      GstBuffer *buf = gst_buffer_new ();

      gst_buffer_append_memory (buf, gst_memory_share (mem, pos, n));
      pos += n;
      r->cur = NULL;
      r->chunk_left = 0;
      r->pending -= cs->length;
      cs->in_progress = FALSE;
      if (!reader_complete (r, cs, buf, base + pos, error))
        return FALSE;
      continue;
    }

    if (!cs->mem) {
      cs->mem = gst_allocator_alloc (NULL, cs->length, NULL);
      if (!gst_memory_map (cs->mem, &cs->map, GST_MAP_WRITE)) {
        gst_memory_unref (cs->mem);
        cs->mem = NULL;
        g_set_error (error, RTMP_ERROR, RTMP_ERROR_INVALID,
            "chunk stream %u: cannot map %u bytes for a message", cs->csid,
            cs->length);
        return FALSE;
      }
    }
    memcpy (cs->map.data + cs->received, data + pos, n);
    cs->received += n;
    r->chunk_left -= n;
    pos += n;
    if (r->chunk_left > 0)
      continue;
    r->cur = NULL;
    if (cs->received == cs->length) {
      GstBuffer *buf = gst_buffer_new ();

      gst_memory_unmap (cs->mem, &cs->map);
      gst_buffer_append_memory (buf, cs->mem);
      cs->mem = NULL;
      cs->in_progress = FALSE;
      cs->received = 0;
      r->pending -= cs->length;
      if (!reader_complete (r, cs, buf, base + pos, error))
        return FALSE;
    }
  }
  return TRUE;
}

static void
reader_compact_out (RtmpChunkReader *r)
{
  if (r->out_head > 0 && r->out_head * 2 >= r->out->len) {
    g_ptr_array_remove_range (r->out, 0, r->out_head);
    r->out_head = 0;
  }
}

static gboolean
reader_failed (RtmpChunkReader *r, GError **error)
{
  if (!r->error)
    return FALSE;
  if (error)
    *error = g_error_copy (r->error);
  return TRUE;
}

static gboolean
reader_push (RtmpChunkReader *r, const guint8 *data, gsize len, GstMemory *mem,
    GError **error)
{
  GError *err = NULL;
  guint64 base = r->bytes_received;
  gboolean ok;

  r->bytes_received += len;
  ok = reader_process (r, data, len, mem, base, &err);
  if (!ok) {
    GST_WARNING ("chunk stream failed: %s", err->message);
    r->error = err;
    if (error)
      *error = g_error_copy (err);
  }
  return ok;
}

gboolean
rtmp_chunk_reader_push_buffer (
    RtmpChunkReader *r, GstBuffer *input, GError **error)
{
  guint n_mem;

  g_return_val_if_fail (r != NULL, FALSE);
  g_return_val_if_fail (GST_IS_BUFFER (input), FALSE);

  if (reader_failed (r, error))
    return FALSE;
  reader_compact_out (r);

  n_mem = gst_buffer_n_memory (input);
  for (guint i = 0; i < n_mem; i++) {
    GstMemory *mem = gst_buffer_peek_memory (input, i);
    GstMapInfo map;
    gboolean ok;

    if (!gst_memory_map (mem, &map, GST_MAP_READ)) {
      g_set_error (&r->error, RTMP_ERROR, RTMP_ERROR_INVALID,
          "chunk stream input at byte offset %" G_GUINT64_FORMAT
          ": cannot map the input buffer",
          r->bytes_received);
      return !reader_failed (r, error);
    }
    ok = reader_push (r, map.data, map.size,
        GST_MEMORY_FLAG_IS_SET (mem, GST_MEMORY_FLAG_NO_SHARE) ? NULL : mem,
        error);
    gst_memory_unmap (mem, &map);
    if (!ok)
      return FALSE;
  }
  return TRUE;
}

gboolean
rtmp_chunk_reader_push_data (
    RtmpChunkReader *r, const guint8 *data, gsize len, GError **error)
{
  g_return_val_if_fail (r != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);

  if (reader_failed (r, error))
    return FALSE;
  reader_compact_out (r);
  return reader_push (r, data, len, NULL, error);
}

RtmpMessage *
rtmp_chunk_reader_pop (RtmpChunkReader *r)
{
  RtmpMessage *msg;

  g_return_val_if_fail (r != NULL, NULL);

  if (r->out_head >= r->out->len)
    return NULL;
  msg = r->out->pdata[r->out_head++];
  if (r->out_head == r->out->len) {
    g_ptr_array_set_size (r->out, 0);
    r->out_head = 0;
  }
  return msg;
}

gboolean
rtmp_chunk_reader_take_ack (RtmpChunkReader *r, guint32 *sequence_number)
{
  g_return_val_if_fail (r != NULL, FALSE);

  if (r->window_ack_size == 0 ||
      r->bytes_received - r->acked < r->window_ack_size)
    return FALSE;
  r->acked = r->bytes_received;
  if (sequence_number)
    *sequence_number = (guint32) r->bytes_received;
  GST_LOG ("acknowledgement due at %" G_GUINT64_FORMAT " bytes (window %u)",
      r->bytes_received, r->window_ack_size);
  return TRUE;
}

guint32
rtmp_chunk_reader_get_chunk_size (RtmpChunkReader *r)
{
  return r->chunk_size;
}

guint32
rtmp_chunk_reader_get_window_ack_size (RtmpChunkReader *r)
{
  return r->window_ack_size;
}

guint64
rtmp_chunk_reader_get_bytes_received (RtmpChunkReader *r)
{
  return r->bytes_received;
}

gsize
rtmp_chunk_reader_get_pending_bytes (RtmpChunkReader *r)
{
  return r->pending;
}

guint
rtmp_chunk_reader_get_n_chunk_streams (RtmpChunkReader *r)
{
  return r->n_streams;
}

/* ------------------------------------------------------------------------
 * Writer
 * ------------------------------------------------------------------------ */

typedef struct
{
  guint32 timestamp;
  guint32 ts_field; /* what the peer adds for a type 3 header */
  guint32 length;
  guint32 stream_id;
  guint8 type;
  guint8 last_fmt;
} ChunkOut;

struct _RtmpChunkWriter
{
  guint32 chunk_size;
  CsTable streams;
  guint64 bytes_written;
  guint64 messages_written;
};

RtmpChunkWriter *
rtmp_chunk_writer_new (void)
{
  RtmpChunkWriter *w = g_new0 (RtmpChunkWriter, 1);

  init_debug ();
  w->chunk_size = RTMP_CHUNK_SIZE_DEFAULT;
  return w;
}

void
rtmp_chunk_writer_free (RtmpChunkWriter *w)
{
  if (!w)
    return;
  cs_table_clear (&w->streams, g_free);
  g_free (w);
}

guint32
rtmp_chunk_stream_for_message (const RtmpMessage *msg)
{
  if (msg->chunk_stream_id != 0)
    return msg->chunk_stream_id;
  switch (msg->type) {
    case RTMP_MESSAGE_TYPE_SET_CHUNK_SIZE:
    case RTMP_MESSAGE_TYPE_ABORT:
    case RTMP_MESSAGE_TYPE_ACKNOWLEDGEMENT:
    case RTMP_MESSAGE_TYPE_USER_CONTROL:
    case RTMP_MESSAGE_TYPE_WINDOW_ACK_SIZE:
    case RTMP_MESSAGE_TYPE_SET_PEER_BANDWIDTH:
      return RTMP_CHUNK_STREAM_CONTROL;
    case RTMP_MESSAGE_TYPE_AUDIO:
      return RTMP_CHUNK_STREAM_AUDIO;
    case RTMP_MESSAGE_TYPE_VIDEO:
      return RTMP_CHUNK_STREAM_VIDEO;
    case RTMP_MESSAGE_TYPE_COMMAND_AMF0:
    case RTMP_MESSAGE_TYPE_COMMAND_AMF3:
    case RTMP_MESSAGE_TYPE_DATA_AMF0:
    case RTMP_MESSAGE_TYPE_DATA_AMF3:
      return msg->stream_id == 0 ? RTMP_CHUNK_STREAM_COMMAND :
                                   RTMP_CHUNK_STREAM_STREAM_COMMAND;
    default:
      return RTMP_CHUNK_STREAM_OTHER;
  }
}

static inline guint
encode_basic_header (guint8 *p, guint fmt, guint32 csid)
{
  if (csid < 64) {
    p[0] = (fmt << 6) | csid;
    return 1;
  }
  if (csid < 320) {
    p[0] = fmt << 6;
    p[1] = csid - 64;
    return 2;
  }
  p[0] = (fmt << 6) | 1;
  p[1] = (csid - 64) & 0xff;
  p[2] = (csid - 64) >> 8;
  return 3;
}

static gboolean
writer_write (RtmpChunkWriter *w, const RtmpMessage *msg, RtmpOutQueue *q,
    GByteArray *ba, GError **error)
{
  guint8 hdr[RTMP_CHUNK_HEADER_MAX], cont[RTMP_CHUNK_HEADER_MAX];
  guint hlen, clen, fmt, n_chunks = 0;
  guint32 csid, size, delta, field, new_chunk_size = 0;
  gboolean ext;
  ChunkOut *cs;
  RtmpOutPayload *payload = NULL;
  GstMapInfo map = GST_MAP_INFO_INIT;
  gboolean mapped = FALSE;
  const guint8 *data = NULL;
  gsize total;

  g_return_val_if_fail (w != NULL, FALSE);
  g_return_val_if_fail (msg != NULL && GST_IS_BUFFER (msg->payload), FALSE);

  csid = rtmp_chunk_stream_for_message (msg);
  if (csid < RTMP_CHUNK_STREAM_MIN || csid > RTMP_CHUNK_STREAM_MAX) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_INVALID,
        "chunk writer: chunk stream id %u is not in 2..65599", csid);
    return FALSE;
  }
  total = gst_buffer_get_size (msg->payload);
  if (total > RTMP_MAX_MESSAGE_SIZE) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_TOO_LARGE,
        "chunk writer: %s message of %" G_GSIZE_FORMAT
        " bytes exceeds the 16777215 bytes a chunk stream can carry",
        rtmp_message_type_name (msg->type), total);
    return FALSE;
  }
  size = total;
  if (msg->type == RTMP_MESSAGE_TYPE_SET_CHUNK_SIZE) {
    guint8 body[4];

    if (gst_buffer_extract (msg->payload, 0, body, 4) != 4) {
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_INVALID,
          "chunk writer: Set Chunk Size body of %u bytes, 4 needed", size);
      return FALSE;
    }
    new_chunk_size = rtmp_read_u32_be (body);
    if (new_chunk_size == 0 || new_chunk_size > RTMP_CHUNK_SIZE_MAX) {
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_INVALID,
          "chunk writer: chunk size %u is not in 1..0x7fffffff",
          new_chunk_size);
      return FALSE;
    }
  }
  if (size > 0) {
    if (q) {
      payload = rtmp_out_payload_new (msg->payload);
    } else if (gst_buffer_map (msg->payload, &map, GST_MAP_READ)) {
      mapped = TRUE;
      data = map.data;
    }
    if (!payload && !data) {
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_INVALID,
          "chunk writer: cannot map the payload of a %s message",
          rtmp_message_type_name (msg->type));
      return FALSE;
    }
  }

  cs = cs_table_lookup (&w->streams, csid);
  delta = cs ? msg->timestamp - cs->timestamp : 0;
  if (!cs || cs->stream_id != msg->stream_id || (gint32) delta < 0 ||
      delta >= EXT_TS_MARK)
    fmt = 0;
  else if (cs->type != msg->type || cs->length != size)
    fmt = 1;
  else if (cs->last_fmt != 0 && delta == cs->ts_field)
    fmt = 3;
  else
    fmt = 2;
  if (!cs) {
    cs = g_new0 (ChunkOut, 1);
    cs_table_insert (&w->streams, csid, cs);
  }

  /* only type 0 can need the extended timestamp: a delta that would is
   * sent as a type 0 instead */
  field = fmt == 0 ? msg->timestamp : delta;
  ext = fmt == 0 && field >= EXT_TS_MARK;

  hlen = encode_basic_header (hdr, fmt, csid);
  if (fmt <= 2) {
    rtmp_write_u24_be (hdr + hlen, ext ? EXT_TS_MARK : field);
    hlen += 3;
  }
  if (fmt <= 1) {
    rtmp_write_u24_be (hdr + hlen, size);
    hdr[hlen + 3] = msg->type;
    hlen += 4;
  }
  if (fmt == 0) {
    rtmp_write_u32_le (hdr + hlen, msg->stream_id);
    hlen += 4;
  }
  clen = encode_basic_header (cont, 3, csid);
  if (ext) {
    rtmp_write_u32_be (hdr + hlen, field);
    hlen += 4;
    rtmp_write_u32_be (cont + clen, field);
    clen += 4;
  }

  cs->timestamp = msg->timestamp;
  cs->ts_field = field;
  cs->length = size;
  cs->stream_id = msg->stream_id;
  cs->type = msg->type;
  cs->last_fmt = fmt;

  /* the first chunk, then the continuations */
  {
    guint32 off = 0;
    const guint8 *h = hdr;
    guint hl = hlen;

    do {
      guint32 n = MIN (w->chunk_size, size - off);

      if (q) {
        rtmp_out_queue_push_bytes (q, h, hl);
        if (n)
          rtmp_out_queue_push_slice (q, payload, off, n);
      } else {
        g_byte_array_append (ba, h, hl);
        if (n)
          g_byte_array_append (ba, data + off, n);
      }
      GST_TRACE ("chunk %u: %u header bytes, payload %u..%u", n_chunks, hl, off,
          off + n);
      w->bytes_written += hl + n;
      off += n;
      n_chunks++;
      h = cont;
      hl = clen;
    } while (off < size);
  }

  GST_DEBUG ("wrote %s (%u) length %u timestamp %u stream %u on chunk stream "
             "%u: type %u header, %u chunk(s)",
      rtmp_message_type_name (msg->type), msg->type, size, msg->timestamp,
      msg->stream_id, csid, fmt, n_chunks);
  w->messages_written++;

  if (payload)
    rtmp_out_payload_unref (payload);
  if (mapped)
    gst_buffer_unmap (msg->payload, &map);

  if (new_chunk_size) {
    GST_DEBUG ("our chunk size %u -> %u", w->chunk_size, new_chunk_size);
    w->chunk_size = new_chunk_size;
  }
  return TRUE;
}

gboolean
rtmp_chunk_writer_write (RtmpChunkWriter *w, const RtmpMessage *msg,
    RtmpOutQueue *out, GError **error)
{
  g_return_val_if_fail (out != NULL, FALSE);
  return writer_write (w, msg, out, NULL, error);
}

gboolean
rtmp_chunk_writer_write_many (RtmpChunkWriter *w, RtmpMessage *const *msgs,
    guint n_msgs, RtmpOutQueue *out, GError **error)
{
  g_return_val_if_fail (out != NULL, FALSE);
  for (guint i = 0; i < n_msgs; i++) {
    if (!writer_write (w, msgs[i], out, NULL, error))
      return FALSE;
  }
  return TRUE;
}

gboolean
rtmp_chunk_writer_write_bytes (
    RtmpChunkWriter *w, const RtmpMessage *msg, GByteArray *out, GError **error)
{
  g_return_val_if_fail (out != NULL, FALSE);
  return writer_write (w, msg, NULL, out, error);
}

guint32
rtmp_chunk_writer_get_chunk_size (RtmpChunkWriter *w)
{
  return w->chunk_size;
}

guint64
rtmp_chunk_writer_get_bytes_written (RtmpChunkWriter *w)
{
  return w->bytes_written;
}

guint64
rtmp_chunk_writer_get_messages_written (RtmpChunkWriter *w)
{
  return w->messages_written;
}
