/* gst-rtmpe: a streaming FLV parser: bytes in, tags (as RTMP messages) out
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "flvparser.h"

#include <string.h>

#include <gst/base/gstadapter.h>

#include "flvdebug.h"
#include "rtmpbytes.h"
#include "rtmperror.h"

typedef enum
{
  STATE_HEADER, /* waiting for the 9-byte file header */
  STATE_SKIP, /* dropping bytes (header extension, a skipped tag) */
  STATE_PREVIOUS_TAG_SIZE, /* waiting for a PreviousTagSize */
  STATE_TAG, /* waiting for a whole tag (header and data) */
  STATE_FAILED,
} State;

struct _FlvParser
{
  GstAdapter *adapter;
  State state;
  gboolean have_header;
  FlvHeader header;
  guint64 skip; /* bytes left to drop in STATE_SKIP */
  guint32 expected_size; /* the next PreviousTagSize should say this */
  guint64 offset; /* stream offset of the adapter's first byte */
  FlvParserStats stats;
};

FlvParser *
flv_parser_new (void)
{
  FlvParser *parser = g_new0 (FlvParser, 1);

  flv_debug_init ();
  parser->adapter = gst_adapter_new ();
  return parser;
}

void
flv_parser_free (FlvParser *parser)
{
  if (!parser)
    return;
  g_object_unref (parser->adapter);
  g_free (parser);
}

void
flv_parser_reset (FlvParser *parser)
{
  gst_adapter_clear (parser->adapter);
  parser->state = STATE_HEADER;
  parser->have_header = FALSE;
  parser->skip = 0;
  parser->expected_size = 0;
  parser->offset = 0;
  memset (&parser->stats, 0, sizeof (parser->stats));
}

void
flv_parser_push (FlvParser *parser, GstBuffer *buffer)
{
  g_return_if_fail (parser != NULL);
  g_return_if_fail (GST_IS_BUFFER (buffer));

  gst_adapter_push (parser->adapter, buffer);
}

static void
flush (FlvParser *parser, gsize n)
{
  gst_adapter_flush (parser->adapter, n);
  parser->offset += n;
}

/* The next @size bytes as one buffer, without copying them when it can:
 * the memories of the input buffers the tag spans, as long as a GstBuffer
 * holds that many (gst_adapter_take_buffer_fast () would merge them past
 * that, copying again at every further append); else one copy. */
static GstBuffer *
take_payload (FlvParser *parser, gsize size)
{
  GstBufferList *list = gst_adapter_take_buffer_list (parser->adapter, size);
  guint n = gst_buffer_list_length (list);
  guint n_mem = 0;
  GstBuffer *out;

  if (n == 1) {
    out = gst_buffer_ref (gst_buffer_list_get (list, 0));
    gst_buffer_list_unref (list);
    return out;
  }
  for (guint i = 0; i < n; i++)
    n_mem += gst_buffer_n_memory (gst_buffer_list_get (list, i));
  if (n_mem <= (guint) gst_buffer_get_max_memory ()) {
    out = gst_buffer_new ();
    for (guint i = 0; i < n; i++) {
      GstBuffer *b = gst_buffer_list_get (list, i);

      for (guint j = 0; j < gst_buffer_n_memory (b); j++)
        gst_buffer_append_memory (out, gst_buffer_get_memory (b, j));
    }
  } else {
    GstMapInfo map;
    gsize off = 0;

    out = gst_buffer_new_allocate (NULL, size, NULL);
    gst_buffer_map (out, &map, GST_MAP_WRITE);
    for (guint i = 0; i < n; i++) {
      GstBuffer *b = gst_buffer_list_get (list, i);

      off += gst_buffer_extract (b, 0, map.data + off, size - off);
    }
    gst_buffer_unmap (out, &map);
  }
  gst_buffer_list_unref (list);
  return out;
}

RtmpMessage *
flv_parser_pop (FlvParser *parser, GError **error)
{
  g_return_val_if_fail (parser != NULL, NULL);

  for (;;) {
    gsize avail = gst_adapter_available (parser->adapter);
    guint8 head[FLV_TAG_HEADER_SIZE];
    FlvTagHeader tag;
    GstBuffer *payload;
    RtmpMessage *msg;

    switch (parser->state) {
      case STATE_HEADER: {
        GError *err = NULL;

        if (avail < FLV_HEADER_SIZE)
          return NULL;
        gst_adapter_copy (parser->adapter, head, 0, FLV_HEADER_SIZE);
        if (!flv_header_parse (head, FLV_HEADER_SIZE, &parser->header, &err)) {
          parser->state = STATE_FAILED;
          g_propagate_error (error, err);
          return NULL;
        }
        parser->have_header = TRUE;
        GST_DEBUG ("FLV header: version %u,%s%s data offset %u",
            parser->header.version, parser->header.has_audio ? " audio" : "",
            parser->header.has_video ? " video" : "",
            parser->header.data_offset);
        flush (parser, FLV_HEADER_SIZE);
        parser->skip = parser->header.data_offset - FLV_HEADER_SIZE;
        parser->expected_size = 0; /* PreviousTagSize0 */
        parser->state = STATE_SKIP;
        break;
      }

      case STATE_SKIP: {
        gsize n = MIN (avail, parser->skip);

        flush (parser, n);
        parser->skip -= n;
        if (parser->skip > 0)
          return NULL;
        parser->state = STATE_PREVIOUS_TAG_SIZE;
        break;
      }

      case STATE_PREVIOUS_TAG_SIZE: {
        guint32 size;

        if (avail < FLV_PREVIOUS_TAG_SIZE_SIZE)
          return NULL;
        gst_adapter_copy (parser->adapter, head, 0, FLV_PREVIOUS_TAG_SIZE_SIZE);
        size = rtmp_read_u32_be (head);
        if (size != parser->expected_size) {
          parser->stats.bad_previous_tag_sizes++;
          GST_WARNING ("FLV offset %" G_GUINT64_FORMAT
                       ": PreviousTagSize %u, expected %u",
              parser->offset, size, parser->expected_size);
        }
        flush (parser, FLV_PREVIOUS_TAG_SIZE_SIZE);
        parser->state = STATE_TAG;
        break;
      }

      case STATE_TAG:
        if (avail < FLV_TAG_HEADER_SIZE)
          return NULL;
        gst_adapter_copy (parser->adapter, head, 0, FLV_TAG_HEADER_SIZE);
        flv_tag_header_parse (head, &tag);
        parser->expected_size = FLV_TAG_HEADER_SIZE + tag.data_size;

        if (tag.filter || !flv_tag_type_is_valid (tag.type)) {
          parser->stats.skipped_tags++;
          GST_WARNING ("FLV offset %" G_GUINT64_FORMAT
                       ": skipping %s tag of type %u, %u bytes",
              parser->offset, tag.filter ? "an encrypted" : "a", tag.type,
              tag.data_size);
          flush (parser, FLV_TAG_HEADER_SIZE);
          parser->skip = tag.data_size;
          parser->state = STATE_SKIP;
          break;
        }

        if (avail < parser->expected_size)
          return NULL;
        if (tag.stream_id != 0) {
          parser->stats.nonzero_stream_ids++;
          GST_DEBUG ("FLV offset %" G_GUINT64_FORMAT ": StreamID %u",
              parser->offset, tag.stream_id);
        }
        flush (parser, FLV_TAG_HEADER_SIZE);
        if (tag.data_size > 0) {
          payload = take_payload (parser, tag.data_size);
          parser->offset += tag.data_size;
        } else {
          payload = gst_buffer_new ();
        }
        msg = rtmp_message_new (tag.type, tag.timestamp, 0, payload);
        parser->stats.tags++;
        parser->state = STATE_PREVIOUS_TAG_SIZE;
        GST_LOG ("FLV tag: type %u, %u bytes, timestamp %u", tag.type,
            tag.data_size, tag.timestamp);
        return msg;

      case STATE_FAILED:
      default:
        g_set_error (error, RTMP_ERROR, RTMP_ERROR_INVALID,
            "FLV parser: the stream was malformed; reset before reuse");
        return NULL;
    }
  }
}

gboolean
flv_parser_get_header (FlvParser *parser, FlvHeader *header)
{
  g_return_val_if_fail (parser != NULL, FALSE);

  if (parser->have_header && header)
    *header = parser->header;
  return parser->have_header;
}

gsize
flv_parser_get_pending (FlvParser *parser)
{
  g_return_val_if_fail (parser != NULL, 0);

  return gst_adapter_available (parser->adapter);
}

void
flv_parser_get_stats (FlvParser *parser, FlvParserStats *stats)
{
  g_return_if_fail (parser != NULL);

  *stats = parser->stats;
}
