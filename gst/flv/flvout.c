/* gst-rtmpe: RTMP messages → FLV buffers, caps and timestamps for a src
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "flvout.h"
#include "amf.h"
#include "flvinfo.h"
#include "flvtag.h"
#include "rtmperror.h"

GST_DEBUG_CATEGORY_STATIC (flv_out_debug);
#define GST_CAT_DEFAULT flv_out_debug

/* Hold at most this many messages, or this much stream time, waiting to
 * learn which of audio and video the stream has. */
#define MAX_HELD_MESSAGES 128
#define MAX_HELD_SPAN_MS 2000

typedef struct
{
  RtmpMessage *msg;
  FlvTagInfo info;
  gboolean info_ok;
} Held;

struct _FlvOut
{
  gboolean decided;
  GArray *held; /* Held */

  gboolean meta_known;
  gboolean meta_audio;
  gboolean meta_video;
  gboolean seen_audio;
  gboolean seen_video;
  gboolean has_audio;
  gboolean has_video;

  GstBuffer *meta_tag;
  GstBuffer *audio_config_tag;
  GstBuffer *video_config_tag;
  GstCaps *pending_caps;

  /* the timeline */
  gboolean anchored;
  gint64 in_base; /* unwrapped input ms at the anchor */
  gint64 out_base; /* output ms at the anchor */
  guint32 last_in; /* last input timestamp (wrapping) */
  gint64 last_in64; /* ... unwrapped */
  gint64 last_out; /* highest output ms so far, -1: none */
  gboolean discont;
};

static void
debug_init (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (
        flv_out_debug, "rtmpe-flvout", 0, "RTMP messages to FLV buffers");
    g_once_init_leave (&once, 1);
  }
}

static void
held_clear (Held *h)
{
  rtmp_message_free (h->msg);
}

FlvOut *
flv_out_new (void)
{
  FlvOut *o = g_new0 (FlvOut, 1);

  debug_init ();
  o->held = g_array_new (FALSE, FALSE, sizeof (Held));
  g_array_set_clear_func (o->held, (GDestroyNotify) held_clear);
  o->last_out = -1;
  return o;
}

void
flv_out_free (FlvOut *o)
{
  if (!o)
    return;
  g_array_unref (o->held);
  gst_clear_buffer (&o->meta_tag);
  gst_clear_buffer (&o->audio_config_tag);
  gst_clear_buffer (&o->video_config_tag);
  gst_clear_caps (&o->pending_caps);
  g_free (o);
}

void
flv_out_discont (FlvOut *o)
{
  o->anchored = FALSE;
  o->discont = TRUE;
}

gboolean
flv_out_has_audio (FlvOut *o)
{
  return o->has_audio;
}

gboolean
flv_out_has_video (FlvOut *o)
{
  return o->has_video;
}

GstCaps *
flv_out_take_caps (FlvOut *o)
{
  return g_steal_pointer (&o->pending_caps);
}

/* ---- timeline ------------------------------------------------------------ */

static void
anchor (FlvOut *o, guint32 ts, guint64 running_time_ms)
{
  gint64 base = running_time_ms;

  /* never back: continue after the last output */
  if (o->last_out >= 0 && base <= o->last_out)
    base = o->last_out + 1;
  o->in_base = ts;
  o->out_base = base;
  o->last_in = ts;
  o->last_in64 = ts;
  o->anchored = TRUE;
  GST_DEBUG ("timeline anchored: input %u ms -> output %" G_GINT64_FORMAT " ms",
      ts, base);
}

static gint64
map_timestamp (FlvOut *o, guint32 ts)
{
  gint64 in64 = o->last_in64 + (gint32) (ts - o->last_in);
  gint64 out;

  o->last_in = ts;
  o->last_in64 = in64;
  out = o->out_base + (in64 - o->in_base);
  if (out < 0)
    out = 0;
  if (out > o->last_out)
    o->last_out = out;
  return out;
}

/* ---- tags ---------------------------------------------------------------- */

static GstBuffer *
make_tag (const RtmpMessage *msg, gint64 out_ms, const FlvTagInfo *info,
    gboolean info_ok, GError **error)
{
  GstBuffer *tag;
  guint8 type = msg->type == RTMP_MESSAGE_TYPE_DATA_AMF3 ?
      RTMP_MESSAGE_TYPE_DATA_AMF0 :
      msg->type;

  tag = flv_tag_new (type, (guint32) out_ms, msg->payload, error);
  if (!tag)
    return NULL;
  GST_BUFFER_DTS (tag) = out_ms * GST_MSECOND;
  GST_BUFFER_PTS (tag) = GST_BUFFER_DTS (tag);
  if (msg->type == RTMP_MESSAGE_TYPE_VIDEO && info_ok) {
    gint64 pts = out_ms + info->composition_time;

    GST_BUFFER_PTS (tag) = MAX (pts, 0) * GST_MSECOND;
    if (!info->keyframe && info->kind == FLV_PACKET_CODED)
      GST_BUFFER_FLAG_SET (tag, GST_BUFFER_FLAG_DELTA_UNIT);
  }
  return tag;
}

/* A header tag (metadata, codec configuration): at timestamp 0, with no
 * buffer timestamps, flagged HEADER. */
static GstBuffer *
header_tag (const RtmpMessage *msg, GError **error)
{
  guint8 type = msg->type == RTMP_MESSAGE_TYPE_DATA_AMF3 ?
      RTMP_MESSAGE_TYPE_DATA_AMF0 :
      msg->type;
  GstBuffer *b = flv_tag_new (type, 0, msg->payload, error);

  if (b)
    GST_BUFFER_FLAG_SET (b, GST_BUFFER_FLAG_HEADER);
  return b;
}

static void
update_caps (FlvOut *o)
{
  GValue array = G_VALUE_INIT;
  GstBuffer *parts[4];
  guint n = 0;

  parts[n++] = flv_header_new (o->has_audio, o->has_video);
  if (o->meta_tag)
    parts[n++] = gst_buffer_ref (o->meta_tag);
  if (o->audio_config_tag)
    parts[n++] = gst_buffer_ref (o->audio_config_tag);
  if (o->video_config_tag)
    parts[n++] = gst_buffer_ref (o->video_config_tag);

  g_value_init (&array, GST_TYPE_ARRAY);
  for (guint i = 0; i < n; i++) {
    GValue v = G_VALUE_INIT;

    GST_BUFFER_FLAG_SET (parts[i], GST_BUFFER_FLAG_HEADER);
    g_value_init (&v, GST_TYPE_BUFFER);
    g_value_take_boxed (&v, parts[i]);
    gst_value_array_append_and_take_value (&array, &v);
  }
  gst_clear_caps (&o->pending_caps);
  o->pending_caps = gst_caps_new_empty_simple ("video/x-flv");
  gst_caps_set_value (o->pending_caps, "streamheader", &array);
  g_value_unset (&array);
}

/* Reads onMetaData's hasAudio/hasVideo, audiocodecid/videocodecid. */
static void
read_metadata (FlvOut *o, GstBuffer *payload)
{
  GstMapInfo map;
  GPtrArray *values;
  const AmfValue *meta = NULL;

  if (!gst_buffer_map (payload, &map, GST_MAP_READ))
    return;
  values = amf0_decode_sequence (map.data, map.size, 0, NULL, NULL);
  gst_buffer_unmap (payload, &map);
  if (!values)
    return;
  if (values->len >= 2)
    meta = g_ptr_array_index (values, 1);
  if (meta) {
    o->meta_known = TRUE;
    o->meta_audio = amf_value_get_property_boolean (meta, "hasAudio", FALSE) ||
        amf_value_get_property (meta, "audiocodecid") != NULL;
    o->meta_video = amf_value_get_property_boolean (meta, "hasVideo", FALSE) ||
        amf_value_get_property (meta, "videocodecid") != NULL;
    GST_DEBUG ("metadata: audio %d, video %d", o->meta_audio, o->meta_video);
  }
  g_ptr_array_unref (values);
}

static gboolean
ready_to_decide (FlvOut *o)
{
  Held *first, *last;

  if (o->held->len == 0)
    return FALSE;
  if (o->held->len >= MAX_HELD_MESSAGES)
    return TRUE;
  first = &g_array_index (o->held, Held, 0);
  last = &g_array_index (o->held, Held, o->held->len - 1);
  if ((gint32) (last->msg->timestamp - first->msg->timestamp) >=
      MAX_HELD_SPAN_MS)
    return TRUE;
  if (o->meta_known)
    return (!o->meta_audio || o->seen_audio) &&
        (!o->meta_video || o->seen_video);
  return o->seen_audio && o->seen_video;
}

static gboolean
emit (FlvOut *o, RtmpMessage *msg, const FlvTagInfo *info, gboolean info_ok,
    GstBufferList *out, GError **error)
{
  gint64 out_ms = map_timestamp (o, msg->timestamp);
  GstBuffer *tag = make_tag (msg, out_ms, info, info_ok, error);

  if (!tag)
    return FALSE;
  if (o->discont) {
    GST_BUFFER_FLAG_SET (tag, GST_BUFFER_FLAG_DISCONT);
    o->discont = FALSE;
  }
  gst_buffer_list_add (out, tag);
  return TRUE;
}

/* Picks the header, anchors the timeline on the earliest held message and
 * releases everything held. */
static gboolean
decide (FlvOut *o, guint64 running_time_ms, GstBufferList *out, GError **error)
{
  guint32 earliest = 0;
  gboolean first = TRUE;

  o->has_audio = o->seen_audio || (o->meta_known && o->meta_audio);
  o->has_video = o->seen_video || (o->meta_known && o->meta_video);
  if (!o->has_audio && !o->has_video)
    o->has_video = TRUE;
  o->decided = TRUE;
  GST_INFO ("stream has%s%s", o->has_audio ? " audio" : "",
      o->has_video ? " video" : "");

  for (guint i = 0; i < o->held->len; i++) {
    Held *h = &g_array_index (o->held, Held, i);

    if (first || (gint32) (h->msg->timestamp - earliest) < 0)
      earliest = h->msg->timestamp;
    first = FALSE;
  }
  if (!o->anchored)
    anchor (o, earliest, running_time_ms);

  /* headers first, in band too (for filesink and friends) */
  gst_buffer_list_add (out, flv_header_new (o->has_audio, o->has_video));
  GST_BUFFER_FLAG_SET (
      gst_buffer_list_get (out, gst_buffer_list_length (out) - 1),
      GST_BUFFER_FLAG_HEADER);
  for (guint i = 0; i < o->held->len; i++) {
    Held *h = &g_array_index (o->held, Held, i);
    gboolean is_header = FALSE;
    gint64 out_ms = map_timestamp (o, h->msg->timestamp);
    GstBuffer *tag = make_tag (h->msg, out_ms, &h->info, h->info_ok, error);

    if (!tag)
      return FALSE;
    if (h->msg->type == RTMP_MESSAGE_TYPE_DATA_AMF0 && !o->meta_tag) {
      gchar *name = flv_data_get_name (h->msg->payload);

      is_header = g_strcmp0 (name, "onMetaData") == 0;
      g_free (name);
    } else if (h->info_ok && h->info.kind == FLV_PACKET_CONFIG) {
      GstBuffer **slot = h->msg->type == RTMP_MESSAGE_TYPE_AUDIO ?
          &o->audio_config_tag :
          &o->video_config_tag;

      is_header = *slot == NULL;
    }
    if (is_header) {
      /* the stream's headers sit at time 0, as flvmux and FFmpeg write
       * them (FFmpeg takes a later onMetaData for a subtitle stream) */
      gst_buffer_unref (tag);
      tag = header_tag (h->msg, error);
      if (!tag)
        return FALSE;
      gst_buffer_replace (h->msg->type == RTMP_MESSAGE_TYPE_DATA_AMF0 ?
              &o->meta_tag :
              h->msg->type == RTMP_MESSAGE_TYPE_AUDIO ? &o->audio_config_tag :
                                                        &o->video_config_tag,
          tag);
    }
    gst_buffer_list_add (out, tag);
  }
  g_array_set_size (o->held, 0);
  o->discont = FALSE;
  update_caps (o);
  return TRUE;
}

/* Whether @tag (a whole FLV tag) carries exactly @payload. */
static gboolean
same_payload (GstBuffer *tag, GstBuffer *payload)
{
  gsize size = gst_buffer_get_size (payload);
  GstMapInfo map;
  gboolean same;

  if (gst_buffer_get_size (tag) !=
      FLV_TAG_HEADER_SIZE + size + FLV_PREVIOUS_TAG_SIZE_SIZE)
    return FALSE;
  if (!gst_buffer_map (payload, &map, GST_MAP_READ))
    return FALSE;
  same = gst_buffer_memcmp (tag, FLV_TAG_HEADER_SIZE, map.data, size) == 0;
  gst_buffer_unmap (payload, &map);
  return same;
}

gboolean
flv_out_push (FlvOut *o, RtmpMessage *msg, guint64 running_time_ms,
    GstBufferList *out, GError **error)
{
  Held h = { msg, { 0 }, FALSE };
  gboolean is_meta = FALSE;

  switch (msg->type) {
    case RTMP_MESSAGE_TYPE_AUDIO:
    case RTMP_MESSAGE_TYPE_VIDEO:
      if (gst_buffer_get_size (msg->payload) == 0) {
        /* an empty audio or video message carries nothing */
        rtmp_message_free (msg);
        return TRUE;
      }
      h.info_ok =
          flv_tag_info_parse_buffer (msg->type, msg->payload, &h.info, NULL);
      if (msg->type == RTMP_MESSAGE_TYPE_AUDIO)
        o->seen_audio = TRUE;
      else
        o->seen_video = TRUE;
      break;
    case RTMP_MESSAGE_TYPE_DATA_AMF0: {
      gchar *name;
      GstBuffer *unwrapped;

      /* publishers (and FFmpeg's listen mode, to players) wrap metadata in
       * @setDataFrame; an FLV script tag carries it bare */
      unwrapped = flv_data_unwrap_set_data_frame (msg->payload);
      gst_buffer_unref (msg->payload);
      msg->payload = unwrapped;
      name = flv_data_get_name (msg->payload);

      if (g_strcmp0 (name, "|RtmpSampleAccess") == 0) {
        g_free (name);
        rtmp_message_free (msg);
        return TRUE;
      }
      is_meta = g_strcmp0 (name, "onMetaData") == 0;
      g_free (name);
      if (is_meta)
        read_metadata (o, msg->payload);
      break;
    }
    case RTMP_MESSAGE_TYPE_AGGREGATE: {
      /* a run of tags in one message: each goes on its own */
      GPtrArray *subs = flv_aggregate_split (msg, error);
      gboolean ok = subs != NULL;

      rtmp_message_free (msg);
      for (guint i = 0; ok && subs && i < subs->len; i++) {
        RtmpMessage *sub = g_ptr_array_index (subs, i);

        g_ptr_array_index (subs, i) = NULL;
        ok = flv_out_push (o, sub, running_time_ms, out, error);
      }
      if (subs)
        g_ptr_array_unref (subs);
      return ok;
    }
    default:
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_UNKNOWN_TYPE,
          "message type %u (%s) is not media", msg->type,
          rtmp_message_type_name (msg->type));
      rtmp_message_free (msg);
      return FALSE;
  }

  if (!o->decided) {
    g_array_append_val (o->held, h);
    if (ready_to_decide (o))
      return decide (o, running_time_ms, out, error);
    return TRUE;
  }

  if (!o->anchored)
    anchor (o, msg->timestamp, running_time_ms);

  /* servers repeat metadata (nginx-rtmp relays every copy flvmux sends):
   * an exact repeat adds nothing */
  if (is_meta && o->meta_tag && same_payload (o->meta_tag, msg->payload)) {
    rtmp_message_free (msg);
    return TRUE;
  }

  /* a new codec configuration or metadata replaces the streamheader's */
  if (is_meta || (h.info_ok && h.info.kind == FLV_PACKET_CONFIG)) {
    GstBuffer **slot = is_meta               ? &o->meta_tag :
        msg->type == RTMP_MESSAGE_TYPE_AUDIO ? &o->audio_config_tag :
                                               &o->video_config_tag;
    GstBuffer *tag = header_tag (msg, error);

    if (!tag) {
      rtmp_message_free (msg);
      return FALSE;
    }
    gst_buffer_replace (slot, tag);
    gst_buffer_unref (tag);
    if ((msg->type == RTMP_MESSAGE_TYPE_AUDIO && !o->has_audio) ||
        (msg->type == RTMP_MESSAGE_TYPE_VIDEO && !o->has_video))
      GST_WARNING ("a %s stream appeared after the FLV header said it "
                   "has none",
          msg->type == RTMP_MESSAGE_TYPE_AUDIO ? "audio" : "video");
    update_caps (o);
  }

  {
    gboolean ok = emit (o, msg, &h.info, h.info_ok, out, error);

    rtmp_message_free (msg);
    return ok;
  }
}

void
flv_out_flush (FlvOut *o, GstBufferList *out)
{
  if (!o->decided && o->held->len > 0)
    decide (o, 0, out, NULL);
}
