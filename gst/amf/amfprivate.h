/* gst-rtmpe: what amfvalue.c, amf0.c and amf3.c share, not installed
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __AMF_PRIVATE_H__
#define __AMF_PRIVATE_H__

#include <gst/gst.h>
#include "amf.h"
#include "rtmperror.h"
#include "rtmplimits.h"

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (amf_debug);
#define GST_CAT_DEFAULT amf_debug
void amf_debug_init (void);

/* A named member. @name is a GRefString (g_ref_string_*): names from the
 * AMF3 string table are shared, not copied. */
typedef struct
{
  gchar *name;
  AmfValue *value;
} AmfProperty;

typedef struct
{
  AmfValue *key;
  AmfValue *value;
} AmfEntry;

struct _AmfValue
{
  AmfType type;
  union
  {
    gboolean boolean;
    gdouble number;
    gint32 integer;
    /* STRING, XML_DOCUMENT, XML: a GRefString (length from it) */
    gchar *string;
    struct
    {
      gchar *class_name; /* GRefString, NULL when anonymous */
      GArray *props; /* AmfProperty, NULL while empty */
      guint32 sealed_count;
      gboolean dynamic;
    } object;
    /* ECMA_ARRAY (props), STRICT_ARRAY (dense), ARRAY (both) */
    struct
    {
      GArray *props; /* AmfProperty, NULL while empty */
      GPtrArray *dense; /* AmfValue, NULL while empty */
      guint32 ecma_count;
      gboolean ecma_count_set;
    } array;
    struct
    {
      gdouble ms;
      gint16 timezone;
    } date;
    struct
    {
      guint32 index;
      guint8 amf3_marker; /* the AMF3 marker it came with (0x0A default) */
    } reference;
    GBytes *bytes;
    /* VECTOR_INT, VECTOR_UINT, VECTOR_DOUBLE */
    struct
    {
      GArray *items;
      gboolean fixed;
    } vector;
    struct
    {
      GPtrArray *items; /* AmfValue, NULL while empty */
      gchar *type_name; /* GRefString */
      gboolean fixed;
    } vector_object;
    struct
    {
      GArray *entries; /* AmfEntry, NULL while empty */
      gboolean weak_keys;
    } dictionary;
    AmfValue *inner;
  } v;
};

/* Decoding state shared by both formats for one decode call. */
typedef struct
{
  const guint8 *data;
  gsize size;
  gsize pos;
  gsize budget;
  gsize used;
  guint depth;
  guint max_depth;
} AmfReader;

/* What the budget is charged for each allocation (malloc's own overhead
 * included). */
#define AMF_COST_ALLOC 16
#define AMF_COST_VALUE (sizeof (AmfValue) + AMF_COST_ALLOC)
/* arrays grow by doubling: charge each slot twice */
#define AMF_COST_SLOT(size) (2 * (size))
#define AMF_COST_ARRAY (48 + AMF_COST_ALLOC)
#define AMF_COST_STRING(len) ((len) + 1 + 32 + AMF_COST_ALLOC)

void amf_reader_init (AmfReader *r, const guint8 *data, gsize size,
    gsize offset, const AmfDecodeLimits *limits);
gboolean amf_reader_charge (AmfReader *r, gsize bytes, GError **error);
static inline gsize
amf_reader_left (const AmfReader *r)
{
  return r->size - r->pos;
}

void amf_set_error (GError **error, RtmpError code, const gchar *format, ...)
    G_GNUC_PRINTF (3, 4);

/* The AMF3 value that follows an AMF0 0x11, with fresh tables. */
AmfValue *amf3_read_switched (AmfReader *r, GError **error);
/* Writes @value in AMF3 with fresh tables, nested at @depth. */
gboolean amf3_write_switched (
    const AmfValue *value, GByteArray *out, guint depth, GError **error);

/* Building blocks for the decoders (no budget: callers charge first). */
AmfValue *amf_value_alloc (AmfType type);
/* takes @refstr */
AmfValue *amf_value_new_take_string (AmfType type, gchar *refstr);
/* appends without looking for an existing member; takes both */
void amf_value_take_property (
    AmfValue *value, gchar *refname, AmfValue *member);
GArray *amf_property_array_new (guint reserve);
AmfProperty *amf_value_peek_properties (const AmfValue *value, guint *n);
GPtrArray *amf_value_peek_elements (const AmfValue *value);

G_END_DECLS

#endif
