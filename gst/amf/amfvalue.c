/* gst-rtmpe: the AMF value tree
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <math.h>
#include <string.h>

#include "amfprivate.h"

GST_DEBUG_CATEGORY (amf_debug);

void
amf_debug_init (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (amf_debug, "rtmpe-amf", 0, "AMF0/AMF3 codec");
    g_once_init_leave (&done, 1);
  }
}

void
amf_set_error (GError **error, RtmpError code, const gchar *format, ...)
{
  va_list args;
  gchar *msg;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  GST_DEBUG ("%s", msg);
  g_set_error_literal (error, RTMP_ERROR, code, msg);
  g_free (msg);
}

const gchar *
amf_type_name (AmfType type)
{
  static const gchar *const names[] = {
    [AMF_TYPE_UNDEFINED] = "undefined",
    [AMF_TYPE_NULL] = "null",
    [AMF_TYPE_BOOLEAN] = "boolean",
    [AMF_TYPE_NUMBER] = "number",
    [AMF_TYPE_INTEGER] = "integer",
    [AMF_TYPE_STRING] = "string",
    [AMF_TYPE_OBJECT] = "object",
    [AMF_TYPE_ECMA_ARRAY] = "ECMA array",
    [AMF_TYPE_STRICT_ARRAY] = "strict array",
    [AMF_TYPE_ARRAY] = "array",
    [AMF_TYPE_DATE] = "date",
    [AMF_TYPE_XML_DOCUMENT] = "XML document",
    [AMF_TYPE_XML] = "XML",
    [AMF_TYPE_BYTE_ARRAY] = "ByteArray",
    [AMF_TYPE_VECTOR_INT] = "Vector.<int>",
    [AMF_TYPE_VECTOR_UINT] = "Vector.<uint>",
    [AMF_TYPE_VECTOR_DOUBLE] = "Vector.<Number>",
    [AMF_TYPE_VECTOR_OBJECT] = "Vector.<Object>",
    [AMF_TYPE_DICTIONARY] = "Dictionary",
    [AMF_TYPE_REFERENCE] = "reference",
    [AMF_TYPE_UNSUPPORTED] = "unsupported",
    [AMF_TYPE_AVMPLUS] = "AVM+ switch",
  };

  if ((guint) type < G_N_ELEMENTS (names))
    return names[type];
  return "invalid";
}

/* ---- construction ---- */

AmfValue *
amf_value_alloc (AmfType type)
{
  AmfValue *v;

  amf_debug_init ();
  v = g_new0 (AmfValue, 1);
  v->type = type;
  return v;
}

static void
amf_property_clear (gpointer p)
{
  AmfProperty *prop = p;

  g_clear_pointer (&prop->name, g_ref_string_release);
  g_clear_pointer (&prop->value, amf_value_free);
}

static void
amf_entry_clear (gpointer p)
{
  AmfEntry *e = p;

  g_clear_pointer (&e->key, amf_value_free);
  g_clear_pointer (&e->value, amf_value_free);
}

GArray *
amf_property_array_new (guint reserve)
{
  GArray *a = g_array_sized_new (FALSE, FALSE, sizeof (AmfProperty), reserve);

  g_array_set_clear_func (a, amf_property_clear);
  return a;
}

static GArray *
amf_entry_array_new (void)
{
  GArray *a = g_array_new (FALSE, FALSE, sizeof (AmfEntry));

  g_array_set_clear_func (a, amf_entry_clear);
  return a;
}

AmfValue *
amf_value_new_take_string (AmfType type, gchar *refstr)
{
  AmfValue *v = amf_value_alloc (type);

  v->v.string = refstr;
  return v;
}

AmfValue *
amf_value_new_undefined (void)
{
  return amf_value_alloc (AMF_TYPE_UNDEFINED);
}

AmfValue *
amf_value_new_null (void)
{
  return amf_value_alloc (AMF_TYPE_NULL);
}

AmfValue *
amf_value_new_boolean (gboolean value)
{
  AmfValue *v = amf_value_alloc (AMF_TYPE_BOOLEAN);

  v->v.boolean = value ? TRUE : FALSE;
  return v;
}

AmfValue *
amf_value_new_number (gdouble value)
{
  AmfValue *v = amf_value_alloc (AMF_TYPE_NUMBER);

  v->v.number = value;
  return v;
}

AmfValue *
amf_value_new_integer (gint32 value)
{
  AmfValue *v = amf_value_alloc (AMF_TYPE_INTEGER);

  v->v.integer = value;
  return v;
}

AmfValue *
amf_value_new_string_len (const gchar *str, gsize len)
{
  return amf_value_new_take_string (AMF_TYPE_STRING,
      g_ref_string_new_len (str ? str : "", str ? (gssize) len : 0));
}

AmfValue *
amf_value_new_string (const gchar *str)
{
  return amf_value_new_string_len (str, str ? strlen (str) : 0);
}

AmfValue *
amf_value_new_object (void)
{
  AmfValue *v = amf_value_alloc (AMF_TYPE_OBJECT);

  v->v.object.dynamic = TRUE;
  return v;
}

AmfValue *
amf_value_new_typed_object (const gchar *class_name)
{
  AmfValue *v = amf_value_new_object ();

  if (class_name)
    v->v.object.class_name = g_ref_string_new (class_name);
  return v;
}

AmfValue *
amf_value_new_ecma_array (void)
{
  return amf_value_alloc (AMF_TYPE_ECMA_ARRAY);
}

AmfValue *
amf_value_new_strict_array (void)
{
  return amf_value_alloc (AMF_TYPE_STRICT_ARRAY);
}

AmfValue *
amf_value_new_array (void)
{
  return amf_value_alloc (AMF_TYPE_ARRAY);
}

AmfValue *
amf_value_new_date (gdouble ms, gint16 timezone)
{
  AmfValue *v = amf_value_alloc (AMF_TYPE_DATE);

  v->v.date.ms = ms;
  v->v.date.timezone = timezone;
  return v;
}

AmfValue *
amf_value_new_xml_document (const gchar *str, gsize len)
{
  return amf_value_new_take_string (AMF_TYPE_XML_DOCUMENT,
      g_ref_string_new_len (str ? str : "", str ? (gssize) len : 0));
}

AmfValue *
amf_value_new_xml (const gchar *str, gsize len)
{
  return amf_value_new_take_string (AMF_TYPE_XML,
      g_ref_string_new_len (str ? str : "", str ? (gssize) len : 0));
}

AmfValue *
amf_value_new_byte_array (const guint8 *data, gsize len)
{
  AmfValue *v = amf_value_alloc (AMF_TYPE_BYTE_ARRAY);

  v->v.bytes = g_bytes_new (data, data ? len : 0);
  return v;
}

static AmfValue *
amf_value_new_vector (AmfType type, gconstpointer items, guint n_items,
    guint item_size, gboolean fixed)
{
  AmfValue *v = amf_value_alloc (type);

  v->v.vector.items = g_array_sized_new (FALSE, FALSE, item_size, n_items);
  if (items && n_items)
    g_array_append_vals (v->v.vector.items, items, n_items);
  v->v.vector.fixed = fixed ? TRUE : FALSE;
  return v;
}

AmfValue *
amf_value_new_vector_int (const gint32 *items, guint n_items, gboolean fixed)
{
  return amf_value_new_vector (
      AMF_TYPE_VECTOR_INT, items, n_items, sizeof (gint32), fixed);
}

AmfValue *
amf_value_new_vector_uint (const guint32 *items, guint n_items, gboolean fixed)
{
  return amf_value_new_vector (
      AMF_TYPE_VECTOR_UINT, items, n_items, sizeof (guint32), fixed);
}

AmfValue *
amf_value_new_vector_double (
    const gdouble *items, guint n_items, gboolean fixed)
{
  return amf_value_new_vector (
      AMF_TYPE_VECTOR_DOUBLE, items, n_items, sizeof (gdouble), fixed);
}

AmfValue *
amf_value_new_vector_object (const gchar *type_name, gboolean fixed)
{
  AmfValue *v = amf_value_alloc (AMF_TYPE_VECTOR_OBJECT);

  v->v.vector_object.type_name = g_ref_string_new (type_name ? type_name : "");
  v->v.vector_object.fixed = fixed ? TRUE : FALSE;
  return v;
}

AmfValue *
amf_value_new_dictionary (gboolean weak_keys)
{
  AmfValue *v = amf_value_alloc (AMF_TYPE_DICTIONARY);

  v->v.dictionary.weak_keys = weak_keys ? TRUE : FALSE;
  return v;
}

AmfValue *
amf_value_new_reference (guint32 index)
{
  AmfValue *v = amf_value_alloc (AMF_TYPE_REFERENCE);

  v->v.reference.index = index;
  v->v.reference.amf3_marker = 0x0A;
  return v;
}

AmfValue *
amf_value_new_unsupported (void)
{
  return amf_value_alloc (AMF_TYPE_UNSUPPORTED);
}

AmfValue *
amf_value_new_avmplus (AmfValue *inner)
{
  AmfValue *v = amf_value_alloc (AMF_TYPE_AVMPLUS);

  v->v.inner = inner ? inner : amf_value_new_undefined ();
  return v;
}

/* ---- free, copy, equal ---- */

void
amf_value_free (AmfValue *value)
{
  if (!value)
    return;

  switch (value->type) {
    case AMF_TYPE_STRING:
    case AMF_TYPE_XML_DOCUMENT:
    case AMF_TYPE_XML:
      g_ref_string_release (value->v.string);
      break;
    case AMF_TYPE_OBJECT:
      g_clear_pointer (&value->v.object.class_name, g_ref_string_release);
      g_clear_pointer (&value->v.object.props, g_array_unref);
      break;
    case AMF_TYPE_ECMA_ARRAY:
    case AMF_TYPE_STRICT_ARRAY:
    case AMF_TYPE_ARRAY:
      g_clear_pointer (&value->v.array.props, g_array_unref);
      g_clear_pointer (&value->v.array.dense, g_ptr_array_unref);
      break;
    case AMF_TYPE_BYTE_ARRAY:
      g_bytes_unref (value->v.bytes);
      break;
    case AMF_TYPE_VECTOR_INT:
    case AMF_TYPE_VECTOR_UINT:
    case AMF_TYPE_VECTOR_DOUBLE:
      g_array_unref (value->v.vector.items);
      break;
    case AMF_TYPE_VECTOR_OBJECT:
      g_clear_pointer (&value->v.vector_object.items, g_ptr_array_unref);
      g_ref_string_release (value->v.vector_object.type_name);
      break;
    case AMF_TYPE_DICTIONARY:
      g_clear_pointer (&value->v.dictionary.entries, g_array_unref);
      break;
    case AMF_TYPE_AVMPLUS:
      amf_value_free (value->v.inner);
      break;
    default:
      break;
  }
  g_free (value);
}

static GArray *
copy_props (GArray *src)
{
  GArray *dst;
  guint i;

  if (!src)
    return NULL;
  dst = amf_property_array_new (src->len);
  for (i = 0; i < src->len; i++) {
    AmfProperty *p = &g_array_index (src, AmfProperty, i);
    AmfProperty n = { g_ref_string_acquire (p->name),
      amf_value_copy (p->value) };

    g_array_append_val (dst, n);
  }
  return dst;
}

static GPtrArray *
copy_values (GPtrArray *src)
{
  GPtrArray *dst;
  guint i;

  if (!src)
    return NULL;
  dst = g_ptr_array_new_full (src->len, (GDestroyNotify) amf_value_free);
  for (i = 0; i < src->len; i++)
    g_ptr_array_add (dst, amf_value_copy (g_ptr_array_index (src, i)));
  return dst;
}

AmfValue *
amf_value_copy (const AmfValue *value)
{
  AmfValue *c;

  if (!value)
    return NULL;

  c = amf_value_alloc (value->type);
  c->v = value->v;
  switch (value->type) {
    case AMF_TYPE_STRING:
    case AMF_TYPE_XML_DOCUMENT:
    case AMF_TYPE_XML:
      /* strings are immutable: share them */
      g_ref_string_acquire (c->v.string);
      break;
    case AMF_TYPE_OBJECT:
      if (c->v.object.class_name)
        g_ref_string_acquire (c->v.object.class_name);
      c->v.object.props = copy_props (value->v.object.props);
      break;
    case AMF_TYPE_ECMA_ARRAY:
    case AMF_TYPE_STRICT_ARRAY:
    case AMF_TYPE_ARRAY:
      c->v.array.props = copy_props (value->v.array.props);
      c->v.array.dense = copy_values (value->v.array.dense);
      break;
    case AMF_TYPE_BYTE_ARRAY:
      g_bytes_ref (c->v.bytes);
      break;
    case AMF_TYPE_VECTOR_INT:
    case AMF_TYPE_VECTOR_UINT:
    case AMF_TYPE_VECTOR_DOUBLE: {
      GArray *src = value->v.vector.items;
      guint size = g_array_get_element_size (src);

      c->v.vector.items = g_array_sized_new (FALSE, FALSE, size, src->len);
      g_array_append_vals (c->v.vector.items, src->data, src->len);
      break;
    }
    case AMF_TYPE_VECTOR_OBJECT:
      g_ref_string_acquire (c->v.vector_object.type_name);
      c->v.vector_object.items = copy_values (value->v.vector_object.items);
      break;
    case AMF_TYPE_DICTIONARY:
      c->v.dictionary.entries = NULL;
      if (value->v.dictionary.entries) {
        GArray *src = value->v.dictionary.entries;
        guint i;

        c->v.dictionary.entries = amf_entry_array_new ();
        for (i = 0; i < src->len; i++) {
          AmfEntry *e = &g_array_index (src, AmfEntry, i);
          AmfEntry n = { amf_value_copy (e->key), amf_value_copy (e->value) };

          g_array_append_val (c->v.dictionary.entries, n);
        }
      }
      break;
    case AMF_TYPE_AVMPLUS:
      c->v.inner = amf_value_copy (value->v.inner);
      break;
    default:
      break;
  }
  return c;
}

static gboolean
strings_equal (const gchar *a, const gchar *b)
{
  gsize la, lb;

  if (!a || !b)
    return a == b;
  la = g_ref_string_length ((gchar *) a);
  lb = g_ref_string_length ((gchar *) b);
  return la == lb && memcmp (a, b, la) == 0;
}

static gboolean
doubles_equal (gdouble a, gdouble b)
{
  /* bit for bit, so that NaN equals itself and -0 differs from 0, as the
   * encoders write them */
  return memcmp (&a, &b, sizeof (gdouble)) == 0;
}

static gboolean
props_equal (GArray *a, GArray *b)
{
  guint na = a ? a->len : 0, nb = b ? b->len : 0, i;

  if (na != nb)
    return FALSE;
  for (i = 0; i < na; i++) {
    AmfProperty *pa = &g_array_index (a, AmfProperty, i);
    AmfProperty *pb = &g_array_index (b, AmfProperty, i);

    if (!strings_equal (pa->name, pb->name) ||
        !amf_value_equal (pa->value, pb->value))
      return FALSE;
  }
  return TRUE;
}

static gboolean
values_equal (GPtrArray *a, GPtrArray *b)
{
  guint na = a ? a->len : 0, nb = b ? b->len : 0, i;

  if (na != nb)
    return FALSE;
  for (i = 0; i < na; i++) {
    if (!amf_value_equal (g_ptr_array_index (a, i), g_ptr_array_index (b, i)))
      return FALSE;
  }
  return TRUE;
}

gboolean
amf_value_equal (const AmfValue *a, const AmfValue *b)
{
  if (!a || !b)
    return a == b;
  if (a->type != b->type)
    return FALSE;

  switch (a->type) {
    case AMF_TYPE_UNDEFINED:
    case AMF_TYPE_NULL:
    case AMF_TYPE_UNSUPPORTED:
      return TRUE;
    case AMF_TYPE_BOOLEAN:
      return a->v.boolean == b->v.boolean;
    case AMF_TYPE_NUMBER:
      return doubles_equal (a->v.number, b->v.number);
    case AMF_TYPE_INTEGER:
      return a->v.integer == b->v.integer;
    case AMF_TYPE_STRING:
    case AMF_TYPE_XML_DOCUMENT:
    case AMF_TYPE_XML:
      return strings_equal (a->v.string, b->v.string);
    case AMF_TYPE_OBJECT:
      return strings_equal (a->v.object.class_name, b->v.object.class_name) &&
          amf_value_get_sealed_count (a) == amf_value_get_sealed_count (b) &&
          amf_value_get_dynamic (a) == amf_value_get_dynamic (b) &&
          props_equal (a->v.object.props, b->v.object.props);
    case AMF_TYPE_ECMA_ARRAY:
      if (amf_value_get_ecma_count (a) != amf_value_get_ecma_count (b))
        return FALSE;
      /* fall through */
    case AMF_TYPE_STRICT_ARRAY:
    case AMF_TYPE_ARRAY:
      return props_equal (a->v.array.props, b->v.array.props) &&
          values_equal (a->v.array.dense, b->v.array.dense);
    case AMF_TYPE_DATE:
      return doubles_equal (a->v.date.ms, b->v.date.ms) &&
          a->v.date.timezone == b->v.date.timezone;
    case AMF_TYPE_BYTE_ARRAY:
      return g_bytes_equal (a->v.bytes, b->v.bytes);
    case AMF_TYPE_VECTOR_INT:
    case AMF_TYPE_VECTOR_UINT:
    case AMF_TYPE_VECTOR_DOUBLE: {
      GArray *ia = a->v.vector.items, *ib = b->v.vector.items;

      return a->v.vector.fixed == b->v.vector.fixed && ia->len == ib->len &&
          (ia->len == 0 ||
              memcmp (ia->data, ib->data,
                  (gsize) ia->len * g_array_get_element_size (ia)) == 0);
    }
    case AMF_TYPE_VECTOR_OBJECT:
      return a->v.vector_object.fixed == b->v.vector_object.fixed &&
          strings_equal (
              a->v.vector_object.type_name, b->v.vector_object.type_name) &&
          values_equal (a->v.vector_object.items, b->v.vector_object.items);
    case AMF_TYPE_DICTIONARY: {
      guint n = amf_value_get_n_entries (a), i;

      if (a->v.dictionary.weak_keys != b->v.dictionary.weak_keys ||
          n != amf_value_get_n_entries (b))
        return FALSE;
      for (i = 0; i < n; i++) {
        if (!amf_value_equal (amf_value_get_entry_key (a, i),
                amf_value_get_entry_key (b, i)) ||
            !amf_value_equal (amf_value_get_entry_value (a, i),
                amf_value_get_entry_value (b, i)))
          return FALSE;
      }
      return TRUE;
    }
    case AMF_TYPE_REFERENCE:
      return a->v.reference.index == b->v.reference.index &&
          a->v.reference.amf3_marker == b->v.reference.amf3_marker;
    case AMF_TYPE_AVMPLUS:
      return amf_value_equal (a->v.inner, b->v.inner);
  }
  return FALSE;
}

/* ---- getters ---- */

AmfType
amf_value_get_type (const AmfValue *value)
{
  return value ? value->type : AMF_TYPE_UNDEFINED;
}

const AmfValue *
amf_value_unwrap (const AmfValue *value)
{
  if (value && value->type == AMF_TYPE_AVMPLUS)
    return value->v.inner;
  return value;
}

gboolean
amf_value_is_null_or_undefined (const AmfValue *value)
{
  value = amf_value_unwrap (value);
  return !value || value->type == AMF_TYPE_NULL ||
      value->type == AMF_TYPE_UNDEFINED;
}

gdouble
amf_value_get_number_or (const AmfValue *value, gdouble def)
{
  value = amf_value_unwrap (value);
  if (!value)
    return def;
  if (value->type == AMF_TYPE_NUMBER)
    return value->v.number;
  if (value->type == AMF_TYPE_INTEGER)
    return value->v.integer;
  return def;
}

gdouble
amf_value_get_number (const AmfValue *value)
{
  return amf_value_get_number_or (value, 0.0);
}

gboolean
amf_value_get_boolean (const AmfValue *value)
{
  value = amf_value_unwrap (value);
  return value && value->type == AMF_TYPE_BOOLEAN && value->v.boolean;
}

gint32
amf_value_get_integer (const AmfValue *value)
{
  gdouble d;

  value = amf_value_unwrap (value);
  if (value && value->type == AMF_TYPE_INTEGER)
    return value->v.integer;
  d = amf_value_get_number (value);
  if (!(d >= G_MININT32 && d <= G_MAXINT32))
    return 0;
  return (gint32) d;
}

static gboolean
is_string_type (const AmfValue *value)
{
  return value &&
      (value->type == AMF_TYPE_STRING || value->type == AMF_TYPE_XML_DOCUMENT ||
          value->type == AMF_TYPE_XML);
}

const gchar *
amf_value_get_string_len (const AmfValue *value, gsize *len)
{
  value = amf_value_unwrap (value);
  if (!is_string_type (value)) {
    if (len)
      *len = 0;
    return NULL;
  }
  if (len)
    *len = g_ref_string_length (value->v.string);
  return value->v.string;
}

const gchar *
amf_value_get_string (const AmfValue *value)
{
  return amf_value_get_string_len (value, NULL);
}

const gchar *
amf_value_get_string_or (const AmfValue *value, const gchar *def)
{
  const gchar *s = amf_value_get_string_len (value, NULL);

  return s ? s : def;
}

gdouble
amf_value_get_date (const AmfValue *value, gint16 *timezone)
{
  value = amf_value_unwrap (value);
  if (timezone)
    *timezone = 0;
  if (!value || value->type != AMF_TYPE_DATE)
    return 0.0;
  if (timezone)
    *timezone = value->v.date.timezone;
  return value->v.date.ms;
}

guint32
amf_value_get_reference (const AmfValue *value)
{
  value = amf_value_unwrap (value);
  if (!value || value->type != AMF_TYPE_REFERENCE)
    return 0;
  return value->v.reference.index;
}

GBytes *
amf_value_get_byte_array (const AmfValue *value)
{
  value = amf_value_unwrap (value);
  if (!value || value->type != AMF_TYPE_BYTE_ARRAY)
    return NULL;
  return value->v.bytes;
}

const gchar *
amf_value_get_class_name (const AmfValue *value)
{
  value = amf_value_unwrap (value);
  if (!value || value->type != AMF_TYPE_OBJECT)
    return NULL;
  return value->v.object.class_name;
}

static GArray **
props_slot (AmfValue *value)
{
  if (!value)
    return NULL;
  switch (value->type) {
    case AMF_TYPE_OBJECT:
      return &value->v.object.props;
    case AMF_TYPE_ECMA_ARRAY:
    case AMF_TYPE_ARRAY:
      return &value->v.array.props;
    default:
      return NULL;
  }
}

AmfProperty *
amf_value_peek_properties (const AmfValue *value, guint *n)
{
  GArray **slot = props_slot ((AmfValue *) amf_value_unwrap (value));

  if (!slot || !*slot) {
    *n = 0;
    return NULL;
  }
  *n = (*slot)->len;
  return (AmfProperty *) (gpointer) (*slot)->data;
}

guint
amf_value_get_n_properties (const AmfValue *value)
{
  guint n;

  amf_value_peek_properties (value, &n);
  return n;
}

const gchar *
amf_value_get_property_name (const AmfValue *value, guint i)
{
  guint n;
  AmfProperty *props = amf_value_peek_properties (value, &n);

  return i < n ? props[i].name : NULL;
}

const AmfValue *
amf_value_get_property_value (const AmfValue *value, guint i)
{
  guint n;
  AmfProperty *props = amf_value_peek_properties (value, &n);

  return i < n ? props[i].value : NULL;
}

static gint
find_property (const AmfValue *value, const gchar *name)
{
  guint n, i;
  AmfProperty *props = amf_value_peek_properties (value, &n);

  if (!name)
    return -1;
  for (i = 0; i < n; i++) {
    if (strcmp (props[i].name, name) == 0)
      return i;
  }
  return -1;
}

const AmfValue *
amf_value_get_property (const AmfValue *value, const gchar *name)
{
  gint i = find_property (value, name);

  return i < 0 ? NULL : amf_value_get_property_value (value, i);
}

gdouble
amf_value_get_property_number (
    const AmfValue *value, const gchar *name, gdouble def)
{
  return amf_value_get_number_or (amf_value_get_property (value, name), def);
}

const gchar *
amf_value_get_property_string (const AmfValue *value, const gchar *name)
{
  return amf_value_get_string (amf_value_get_property (value, name));
}

gboolean
amf_value_get_property_boolean (
    const AmfValue *value, const gchar *name, gboolean def)
{
  const AmfValue *p = amf_value_unwrap (amf_value_get_property (value, name));

  if (!p || p->type != AMF_TYPE_BOOLEAN)
    return def;
  return p->v.boolean;
}

guint
amf_value_get_sealed_count (const AmfValue *value)
{
  guint n;

  value = amf_value_unwrap (value);
  if (!value || value->type != AMF_TYPE_OBJECT)
    return 0;
  n = amf_value_get_n_properties (value);
  return MIN (value->v.object.sealed_count, n);
}

gboolean
amf_value_get_dynamic (const AmfValue *value)
{
  value = amf_value_unwrap (value);
  if (!value || value->type != AMF_TYPE_OBJECT)
    return FALSE;
  /* members beyond the sealed ones can only be written as dynamic */
  return value->v.object.dynamic ||
      amf_value_get_n_properties (value) > value->v.object.sealed_count;
}

guint32
amf_value_get_ecma_count (const AmfValue *value)
{
  value = amf_value_unwrap (value);
  if (!value || value->type != AMF_TYPE_ECMA_ARRAY)
    return 0;
  if (value->v.array.ecma_count_set)
    return value->v.array.ecma_count;
  return amf_value_get_n_properties (value);
}

GPtrArray *
amf_value_peek_elements (const AmfValue *value)
{
  value = amf_value_unwrap (value);
  if (!value)
    return NULL;
  switch (value->type) {
    case AMF_TYPE_STRICT_ARRAY:
    case AMF_TYPE_ARRAY:
      return value->v.array.dense;
    case AMF_TYPE_VECTOR_OBJECT:
      return value->v.vector_object.items;
    default:
      return NULL;
  }
}

guint
amf_value_get_n_elements (const AmfValue *value)
{
  GPtrArray *a = amf_value_peek_elements (value);

  return a ? a->len : 0;
}

const AmfValue *
amf_value_get_element (const AmfValue *value, guint i)
{
  GPtrArray *a = amf_value_peek_elements (value);

  return a && i < a->len ? g_ptr_array_index (a, i) : NULL;
}

gconstpointer
amf_value_get_vector (const AmfValue *value, guint *n_items, gboolean *fixed)
{
  value = amf_value_unwrap (value);
  if (!value ||
      (value->type != AMF_TYPE_VECTOR_INT &&
          value->type != AMF_TYPE_VECTOR_UINT &&
          value->type != AMF_TYPE_VECTOR_DOUBLE)) {
    if (n_items)
      *n_items = 0;
    if (fixed)
      *fixed = FALSE;
    return NULL;
  }
  if (n_items)
    *n_items = value->v.vector.items->len;
  if (fixed)
    *fixed = value->v.vector.fixed;
  return value->v.vector.items->data;
}

const gchar *
amf_value_get_vector_type_name (const AmfValue *value)
{
  value = amf_value_unwrap (value);
  if (!value || value->type != AMF_TYPE_VECTOR_OBJECT)
    return NULL;
  return value->v.vector_object.type_name;
}

static AmfEntry *
peek_entries (const AmfValue *value, guint *n)
{
  value = amf_value_unwrap (value);
  if (!value || value->type != AMF_TYPE_DICTIONARY ||
      !value->v.dictionary.entries) {
    *n = 0;
    return NULL;
  }
  *n = value->v.dictionary.entries->len;
  return (AmfEntry *) (gpointer) value->v.dictionary.entries->data;
}

guint
amf_value_get_n_entries (const AmfValue *value)
{
  guint n;

  peek_entries (value, &n);
  return n;
}

const AmfValue *
amf_value_get_entry_key (const AmfValue *value, guint i)
{
  guint n;
  AmfEntry *e = peek_entries (value, &n);

  return i < n ? e[i].key : NULL;
}

const AmfValue *
amf_value_get_entry_value (const AmfValue *value, guint i)
{
  guint n;
  AmfEntry *e = peek_entries (value, &n);

  return i < n ? e[i].value : NULL;
}

gboolean
amf_value_get_weak_keys (const AmfValue *value)
{
  value = amf_value_unwrap (value);
  return value && value->type == AMF_TYPE_DICTIONARY &&
      value->v.dictionary.weak_keys;
}

/* ---- mutators ---- */

static AmfValue *
unwrap_mutable (AmfValue *value)
{
  return (AmfValue *) amf_value_unwrap (value);
}

void
amf_value_take_property (AmfValue *value, gchar *refname, AmfValue *member)
{
  GArray **slot = props_slot (value);
  AmfProperty p = { refname, member };

  g_assert (slot);
  if (!*slot)
    *slot = amf_property_array_new (0);
  g_array_append_val (*slot, p);
}

gboolean
amf_value_append_property (AmfValue *value, const gchar *name, AmfValue *member)
{
  value = unwrap_mutable (value);
  if (!props_slot (value) || !name || !member) {
    amf_value_free (member);
    return FALSE;
  }
  amf_value_take_property (value, g_ref_string_new (name), member);
  return TRUE;
}

gboolean
amf_value_set_property (AmfValue *value, const gchar *name, AmfValue *member)
{
  gint i;

  value = unwrap_mutable (value);
  i = find_property (value, name);
  if (i >= 0 && member) {
    AmfProperty *p = &g_array_index (*props_slot (value), AmfProperty, i);

    amf_value_free (p->value);
    p->value = member;
    return TRUE;
  }
  return amf_value_append_property (value, name, member);
}

gboolean
amf_value_set_property_string (
    AmfValue *value, const gchar *name, const gchar *str)
{
  return amf_value_set_property (value, name, amf_value_new_string (str));
}

gboolean
amf_value_set_property_number (AmfValue *value, const gchar *name, gdouble n)
{
  return amf_value_set_property (value, name, amf_value_new_number (n));
}

gboolean
amf_value_set_property_boolean (AmfValue *value, const gchar *name, gboolean b)
{
  return amf_value_set_property (value, name, amf_value_new_boolean (b));
}

gboolean
amf_value_append_element (AmfValue *value, AmfValue *element)
{
  GPtrArray **slot;

  value = unwrap_mutable (value);
  if (!value || !element)
    goto refuse;
  switch (value->type) {
    case AMF_TYPE_STRICT_ARRAY:
    case AMF_TYPE_ARRAY:
      slot = &value->v.array.dense;
      break;
    case AMF_TYPE_VECTOR_OBJECT:
      slot = &value->v.vector_object.items;
      break;
    default:
      goto refuse;
  }
  if (!*slot)
    *slot = g_ptr_array_new_with_free_func ((GDestroyNotify) amf_value_free);
  g_ptr_array_add (*slot, element);
  return TRUE;

refuse:
  amf_value_free (element);
  return FALSE;
}

gboolean
amf_value_append_entry (AmfValue *value, AmfValue *key, AmfValue *entry_value)
{
  AmfEntry e = { key, entry_value };

  value = unwrap_mutable (value);
  if (!value || value->type != AMF_TYPE_DICTIONARY || !key || !entry_value) {
    amf_value_free (key);
    amf_value_free (entry_value);
    return FALSE;
  }
  if (!value->v.dictionary.entries)
    value->v.dictionary.entries = amf_entry_array_new ();
  g_array_append_val (value->v.dictionary.entries, e);
  return TRUE;
}

void
amf_value_set_ecma_count (AmfValue *value, guint32 count)
{
  value = unwrap_mutable (value);
  g_return_if_fail (value && value->type == AMF_TYPE_ECMA_ARRAY);
  value->v.array.ecma_count = count;
  value->v.array.ecma_count_set = TRUE;
}

void
amf_value_set_traits (AmfValue *value, guint sealed_count, gboolean dynamic)
{
  value = unwrap_mutable (value);
  g_return_if_fail (value && value->type == AMF_TYPE_OBJECT);
  value->v.object.sealed_count = sealed_count;
  value->v.object.dynamic = dynamic ? TRUE : FALSE;
}

/* ---- the printer ---- */

#define PRINT_MAX_STRING 64 /* characters of a string shown */
#define PRINT_MAX_ITEMS 32 /* members or elements of one container */
#define PRINT_MAX_DEPTH 8
#define PRINT_MAX_LEN 4096 /* bytes of the whole line, about */

static void
print_double (GString *s, gdouble d)
{
  gchar buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (isfinite (d) && d == floor (d) && fabs (d) < 1e15) {
    g_string_append_printf (s, "%" G_GINT64_FORMAT, (gint64) d);
    return;
  }
  if (isnan (d)) {
    g_string_append (s, "NaN");
    return;
  }
  if (isinf (d)) {
    g_string_append (s, d > 0 ? "Infinity" : "-Infinity");
    return;
  }
  g_ascii_formatd (buf, sizeof (buf), "%.15g", d);
  if (g_ascii_strtod (buf, NULL) != d)
    g_ascii_formatd (buf, sizeof (buf), "%.17g", d);
  g_string_append (s, buf);
}

/* @str, escaped and cut to PRINT_MAX_STRING characters; quoted for
 * values, bare for names */
static void
print_text (GString *s, const gchar *str, gsize len, gboolean quote)
{
  gsize examine = MIN (len, PRINT_MAX_STRING * 4), shown, i;
  const gchar *end;
  gboolean utf8 = g_utf8_validate (str, examine, &end);

  /* only the start is looked at: a character cut there is still UTF-8 */
  if (!utf8 && examine < len && examine - (gsize) (end - str) < 4)
    utf8 = TRUE;
  if (utf8) {
    gsize valid = end - str;

    if (g_utf8_strlen (str, valid) > PRINT_MAX_STRING)
      shown = g_utf8_offset_to_pointer (str, PRINT_MAX_STRING) - str;
    else
      shown = valid;
  } else {
    shown = MIN (len, PRINT_MAX_STRING);
  }

  if (quote)
    g_string_append_c (s, '"');
  for (i = 0; i < shown; i++) {
    guchar c = str[i];

    if (c == '"' || c == '\\')
      g_string_append_printf (s, "\\%c", c);
    else if (c < 0x20 || c == 0x7f || (c >= 0x80 && !utf8))
      g_string_append_printf (s, "\\x%02x", c);
    else
      g_string_append_c (s, c);
  }
  if (quote)
    g_string_append_c (s, '"');
  if (shown < len)
    g_string_append_printf (s, "...(%" G_GSIZE_FORMAT " bytes)", len);
}

static void
print_string (GString *s, const gchar *refstr)
{
  print_text (s, refstr, g_ref_string_length ((gchar *) refstr), TRUE);
}

static void
print_name (GString *s, const gchar *refstr)
{
  print_text (s, refstr, g_ref_string_length ((gchar *) refstr), FALSE);
}

static void print_value (GString *s, const AmfValue *v, guint depth);

static gboolean
print_full (GString *s)
{
  if (s->len < PRINT_MAX_LEN)
    return FALSE;
  g_string_append (s, "...");
  return TRUE;
}

static void
print_props (GString *s, const AmfValue *v, guint depth, gboolean first)
{
  guint n, i;
  AmfProperty *props = amf_value_peek_properties (v, &n);

  for (i = 0; i < n; i++) {
    if (!first || i > 0)
      g_string_append (s, ", ");
    if (i == PRINT_MAX_ITEMS || print_full (s)) {
      g_string_append_printf (s, "...%u more", n - i);
      return;
    }
    print_name (s, props[i].name);
    g_string_append (s, ": ");
    print_value (s, props[i].value, depth + 1);
  }
}

static void
print_elements (GString *s, GPtrArray *a, guint depth)
{
  guint n = a ? a->len : 0, i;

  for (i = 0; i < n; i++) {
    if (i > 0)
      g_string_append (s, ", ");
    if (i == PRINT_MAX_ITEMS || print_full (s)) {
      g_string_append_printf (s, "...%u more", n - i);
      return;
    }
    print_value (s, g_ptr_array_index (a, i), depth + 1);
  }
}

static void
print_vector (GString *s, const AmfValue *v)
{
  GArray *items = v->v.vector.items;
  guint i;

  g_string_append_printf (
      s, "%s%s[", amf_type_name (v->type), v->v.vector.fixed ? " fixed" : "");
  for (i = 0; i < items->len; i++) {
    if (i > 0)
      g_string_append (s, ", ");
    if (i == PRINT_MAX_ITEMS) {
      g_string_append_printf (s, "...%u more", items->len - i);
      break;
    }
    if (v->type == AMF_TYPE_VECTOR_INT)
      g_string_append_printf (s, "%d", g_array_index (items, gint32, i));
    else if (v->type == AMF_TYPE_VECTOR_UINT)
      g_string_append_printf (s, "%u", g_array_index (items, guint32, i));
    else
      print_double (s, g_array_index (items, gdouble, i));
  }
  g_string_append_c (s, ']');
}

static void
print_value (GString *s, const AmfValue *v, guint depth)
{
  if (!v) {
    g_string_append (s, "(none)");
    return;
  }
  if (print_full (s))
    return;

  switch (v->type) {
    case AMF_TYPE_UNDEFINED:
    case AMF_TYPE_NULL:
    case AMF_TYPE_UNSUPPORTED:
      g_string_append (s, amf_type_name (v->type));
      return;
    case AMF_TYPE_BOOLEAN:
      g_string_append (s, v->v.boolean ? "true" : "false");
      return;
    case AMF_TYPE_NUMBER:
      print_double (s, v->v.number);
      return;
    case AMF_TYPE_INTEGER:
      g_string_append_printf (s, "%di", v->v.integer);
      return;
    case AMF_TYPE_STRING:
      print_string (s, v->v.string);
      return;
    case AMF_TYPE_XML_DOCUMENT:
    case AMF_TYPE_XML:
      g_string_append (s, v->type == AMF_TYPE_XML ? "xml(" : "xmldoc(");
      print_string (s, v->v.string);
      g_string_append_c (s, ')');
      return;
    case AMF_TYPE_DATE:
      g_string_append (s, "date(");
      print_double (s, v->v.date.ms);
      if (v->v.date.timezone)
        g_string_append_printf (s, ", tz %d", v->v.date.timezone);
      g_string_append_c (s, ')');
      return;
    case AMF_TYPE_BYTE_ARRAY:
      g_string_append_printf (
          s, "bytes[%" G_GSIZE_FORMAT "]", g_bytes_get_size (v->v.bytes));
      return;
    case AMF_TYPE_VECTOR_INT:
    case AMF_TYPE_VECTOR_UINT:
    case AMF_TYPE_VECTOR_DOUBLE:
      print_vector (s, v);
      return;
    case AMF_TYPE_REFERENCE:
      g_string_append_printf (s, "ref#%u", v->v.reference.index);
      return;
    case AMF_TYPE_AVMPLUS:
      g_string_append (s, "amf3:");
      print_value (s, v->v.inner, depth);
      return;
    default:
      break;
  }

  /* containers */
  if (depth >= PRINT_MAX_DEPTH) {
    g_string_append_printf (s, "%s{...}", amf_type_name (v->type));
    return;
  }
  switch (v->type) {
    case AMF_TYPE_OBJECT:
      if (v->v.object.class_name) {
        print_name (s, v->v.object.class_name);
        g_string_append_c (s, ' ');
      }
      g_string_append_c (s, '{');
      print_props (s, v, depth, TRUE);
      g_string_append_c (s, '}');
      break;
    case AMF_TYPE_ECMA_ARRAY:
      g_string_append_printf (s, "ecma[%u]{", amf_value_get_ecma_count (v));
      print_props (s, v, depth, TRUE);
      g_string_append_c (s, '}');
      break;
    case AMF_TYPE_STRICT_ARRAY:
      g_string_append_c (s, '[');
      print_elements (s, v->v.array.dense, depth);
      g_string_append_c (s, ']');
      break;
    case AMF_TYPE_ARRAY:
      g_string_append_c (s, '[');
      print_elements (s, v->v.array.dense, depth);
      if (amf_value_get_n_properties (v)) {
        g_string_append (s, "; ");
        print_props (s, v, depth, TRUE);
      }
      g_string_append_c (s, ']');
      break;
    case AMF_TYPE_VECTOR_OBJECT:
      g_string_append (s, "Vector.<");
      print_name (s, v->v.vector_object.type_name);
      g_string_append_printf (
          s, ">%s[", v->v.vector_object.fixed ? " fixed" : "");
      print_elements (s, v->v.vector_object.items, depth);
      g_string_append_c (s, ']');
      break;
    case AMF_TYPE_DICTIONARY: {
      guint n = amf_value_get_n_entries (v), i;

      g_string_append (s, "dict{");
      for (i = 0; i < n; i++) {
        if (i > 0)
          g_string_append (s, ", ");
        if (i == PRINT_MAX_ITEMS || print_full (s)) {
          g_string_append_printf (s, "...%u more", n - i);
          break;
        }
        print_value (s, amf_value_get_entry_key (v, i), depth + 1);
        g_string_append (s, " => ");
        print_value (s, amf_value_get_entry_value (v, i), depth + 1);
      }
      g_string_append_c (s, '}');
      break;
    }
    default:
      break;
  }
}

gchar *
amf_value_to_string (const AmfValue *value)
{
  GString *s = g_string_new (NULL);

  print_value (s, value, 0);
  return g_string_free (s, FALSE);
}

/* ---- the decoders' budget ---- */

void
amf_reader_init (AmfReader *r, const guint8 *data, gsize size, gsize offset,
    const AmfDecodeLimits *limits)
{
  gsize input = size - offset;

  amf_debug_init ();
  r->data = data;
  r->size = size;
  r->pos = offset;
  r->used = 0;
  r->depth = 0;
  r->max_depth = AMF_MAX_DEPTH;
  if (limits && limits->max_depth && limits->max_depth < AMF_MAX_DEPTH)
    r->max_depth = limits->max_depth;
  if (limits && limits->max_alloc)
    r->budget = limits->max_alloc;
  else if (input > (G_MAXSIZE - AMF_ALLOC_SLACK) / AMF_ALLOC_FACTOR)
    r->budget = G_MAXSIZE;
  else
    r->budget = input * AMF_ALLOC_FACTOR + AMF_ALLOC_SLACK;
}

gboolean
amf_reader_charge (AmfReader *r, gsize bytes, GError **error)
{
  if (bytes > r->budget - r->used) {
    amf_set_error (error, RTMP_ERROR_TOO_LARGE,
        "AMF value at offset %" G_GSIZE_FORMAT ": the decoded values would "
        "take more than the %" G_GSIZE_FORMAT " bytes allowed",
        r->pos, r->budget);
    return FALSE;
  }
  r->used += bytes;
  return TRUE;
}
