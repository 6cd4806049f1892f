/* gst-rtmpe: libFuzzer target for gst/flv: the streaming parser fed the
 * input in pieces, then every tag it returns classified, rebuilt and parsed
 * back, its data wrapped and unwrapped; the whole input is also classified
 * as an audio and a video payload and split as an aggregate message.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdlib.h>
#include <string.h>

#include <gst/gst.h>

#include "flvinfo.h"
#include "flvparser.h"
#include "flvtag.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  /* GstBuffer needs gst_init(); no plugin is ever loaded */
  g_setenv ("GST_REGISTRY_DISABLE", "yes", TRUE);
  gst_init (NULL, NULL);
  return 0;
}

static void
check (gboolean ok)
{
  if (!ok)
    abort ();
}

static gboolean
buffers_equal (GstBuffer *a, GstBuffer *b)
{
  gsize size = gst_buffer_get_size (a);
  gpointer copy;
  gboolean same;

  if (size != gst_buffer_get_size (b))
    return FALSE;
  if (size == 0)
    return TRUE;
  gst_buffer_extract_dup (a, 0, size, &copy, &size);
  same = gst_buffer_memcmp (b, 0, copy, size) == 0;
  g_free (copy);
  return same;
}

static void
classify (guint8 type, GstBuffer *payload)
{
  FlvTagInfo info;

  if (flv_tag_info_parse_buffer (type, payload, &info, NULL))
    check (info.header_size <= gst_buffer_get_size (payload));
}

static void
split_aggregate (const RtmpMessage *agg)
{
  GPtrArray *msgs = flv_aggregate_split (agg, NULL);
  gsize total = 0;

  if (!msgs)
    return;
  for (guint i = 0; i < msgs->len; i++) {
    RtmpMessage *m = msgs->pdata[i];

    check (m->stream_id == agg->stream_id);
    total += gst_buffer_get_size (m->payload) + 11;
    classify (m->type, m->payload);
  }
  check (total <= gst_buffer_get_size (agg->payload));
  g_ptr_array_unref (msgs);
}

static void
exercise_message (RtmpMessage *msg)
{
  GstBuffer *tag, *wrapped, *unwrapped;
  RtmpMessage *back;
  gchar *name;

  classify (msg->type, msg->payload);

  tag = flv_tag_from_message (msg, NULL);
  check (tag != NULL);
  back = flv_tag_to_message (tag, NULL);
  check (back != NULL);
  check (back->type == msg->type && back->timestamp == msg->timestamp);
  check (buffers_equal (back->payload, msg->payload));
  rtmp_message_free (back);
  gst_buffer_unref (tag);

  if (msg->type == FLV_TAG_TYPE_SCRIPT) {
    name = flv_data_get_name (msg->payload);
    g_free (name);
    wrapped = flv_data_wrap_set_data_frame (msg->payload);
    unwrapped = flv_data_unwrap_set_data_frame (wrapped);
    /* wrapping onMetaData then unwrapping gives the payload back */
    if (wrapped != msg->payload)
      check (buffers_equal (unwrapped, msg->payload));
    gst_buffer_unref (unwrapped);
    gst_buffer_unref (wrapped);
  }

  msg->type = RTMP_MESSAGE_TYPE_AGGREGATE;
  split_aggregate (msg);
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  FlvParser *parser = flv_parser_new ();
  GstBuffer *whole;
  RtmpMessage *agg;
  gsize step = size ? (data[size - 1] % 97) + 1 : 1, off = 0;

  /* the parser, fed in pieces of one size chosen by the input */
  while (off < size) {
    gsize n = MIN (step, size - off);
    RtmpMessage *msg;
    GError *error = NULL;

    flv_parser_push (parser, gst_buffer_new_memdup (data + off, n));
    off += n;
    while ((msg = flv_parser_pop (parser, &error))) {
      exercise_message (msg);
      rtmp_message_free (msg);
    }
    if (error) {
      g_error_free (error);
      break;
    }
  }
  flv_parser_free (parser);

  /* the whole input as one payload */
  whole = size ? gst_buffer_new_memdup (data, size) : gst_buffer_new ();
  classify (FLV_TAG_TYPE_AUDIO, whole);
  classify (FLV_TAG_TYPE_VIDEO, whole);
  agg = rtmp_message_new (RTMP_MESSAGE_TYPE_AGGREGATE, 1000, 1, whole);
  split_aggregate (agg);
  rtmp_message_free (agg);
  return 0;
}
