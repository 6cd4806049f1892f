/* gst-rtmpe: the AMF value tree shared by the AMF0 and AMF3 codecs
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One tree model for both encodings. A value owns its children; there is
 * no sharing and no cycle: references (AMF0 0x07, AMF3 object references)
 * stay AMF_TYPE_REFERENCE values holding the index, never resolved.
 *
 * Getters are forgiving: they take NULL or a value of the wrong type and
 * return a default, so `amf_value_get_string (amf_value_get_property (o,
 * "code"))` is safe on whatever a peer sent. They also look through an
 * AMF_TYPE_AVMPLUS wrapper (an AMF0 value switched to AMF3 with 0x11).
 */
#ifndef __AMF_VALUE_H__
#define __AMF_VALUE_H__

#include <glib.h>

G_BEGIN_DECLS

/**
 * AmfType:
 * @AMF_TYPE_UNDEFINED: AMF0 0x06, AMF3 0x00
 * @AMF_TYPE_NULL: AMF0 0x05, AMF3 0x01
 * @AMF_TYPE_BOOLEAN: AMF0 0x01, AMF3 0x02/0x03
 * @AMF_TYPE_NUMBER: a double; AMF0 0x00, AMF3 0x05
 * @AMF_TYPE_INTEGER: AMF3 0x04, a signed 29-bit integer (written as a
 *   double when it does not fit; as an AMF0 number in AMF0)
 * @AMF_TYPE_STRING: AMF0 0x02 or 0x0C (chosen by length), AMF3 0x06
 * @AMF_TYPE_OBJECT: anonymous (class name NULL: AMF0 0x03) or typed
 *   (AMF0 0x10); AMF3 0x0A with sealed and dynamic members
 * @AMF_TYPE_ECMA_ARRAY: AMF0 0x08: named members and the count field
 * @AMF_TYPE_STRICT_ARRAY: AMF0 0x0A: elements
 * @AMF_TYPE_ARRAY: AMF3 0x09: elements (dense part) and named members
 *   (associative part)
 * @AMF_TYPE_DATE: AMF0 0x0B (with its time zone field), AMF3 0x08
 * @AMF_TYPE_XML_DOCUMENT: AMF0 0x0F, AMF3 0x07
 * @AMF_TYPE_XML: AMF3 0x0B (E4X XML)
 * @AMF_TYPE_BYTE_ARRAY: AMF3 0x0C
 * @AMF_TYPE_VECTOR_INT: AMF3 0x0D
 * @AMF_TYPE_VECTOR_UINT: AMF3 0x0E
 * @AMF_TYPE_VECTOR_DOUBLE: AMF3 0x0F
 * @AMF_TYPE_VECTOR_OBJECT: AMF3 0x10: elements and an object type name
 * @AMF_TYPE_DICTIONARY: AMF3 0x11: key/value entries
 * @AMF_TYPE_REFERENCE: AMF0 0x07 or an AMF3 object reference: an index
 *   into the table of complex values met before it in the same top-level
 *   value (checked at decode, never resolved)
 * @AMF_TYPE_UNSUPPORTED: AMF0 0x0D
 * @AMF_TYPE_AVMPLUS: AMF0 0x11: wraps one value encoded in AMF3
 *
 * AMF3-only types met by the AMF0 encoder are written as 0x11 and their
 * AMF3 encoding; AMF0-only types met by the AMF3 encoder are mapped
 * (ECMA and strict arrays to arrays, unsupported to undefined).
 */
typedef enum
{
  AMF_TYPE_UNDEFINED,
  AMF_TYPE_NULL,
  AMF_TYPE_BOOLEAN,
  AMF_TYPE_NUMBER,
  AMF_TYPE_INTEGER,
  AMF_TYPE_STRING,
  AMF_TYPE_OBJECT,
  AMF_TYPE_ECMA_ARRAY,
  AMF_TYPE_STRICT_ARRAY,
  AMF_TYPE_ARRAY,
  AMF_TYPE_DATE,
  AMF_TYPE_XML_DOCUMENT,
  AMF_TYPE_XML,
  AMF_TYPE_BYTE_ARRAY,
  AMF_TYPE_VECTOR_INT,
  AMF_TYPE_VECTOR_UINT,
  AMF_TYPE_VECTOR_DOUBLE,
  AMF_TYPE_VECTOR_OBJECT,
  AMF_TYPE_DICTIONARY,
  AMF_TYPE_REFERENCE,
  AMF_TYPE_UNSUPPORTED,
  AMF_TYPE_AVMPLUS,
} AmfType;

/* The smallest and largest AMF3 integer (signed 29 bits). */
#define AMF3_INTEGER_MIN (-(1 << 28))
#define AMF3_INTEGER_MAX ((1 << 28) - 1)

typedef struct _AmfValue AmfValue;

const gchar *amf_type_name (AmfType type);

/* Constructors: every one returns a new value owned by the caller. */
AmfValue *amf_value_new_undefined (void);
AmfValue *amf_value_new_null (void);
AmfValue *amf_value_new_boolean (gboolean value);
AmfValue *amf_value_new_number (gdouble value);
AmfValue *amf_value_new_integer (gint32 value);
AmfValue *amf_value_new_string (const gchar *str);
AmfValue *amf_value_new_string_len (const gchar *str, gsize len);
AmfValue *amf_value_new_object (void);
AmfValue *amf_value_new_typed_object (const gchar *class_name);
AmfValue *amf_value_new_ecma_array (void);
AmfValue *amf_value_new_strict_array (void);
AmfValue *amf_value_new_array (void);
AmfValue *amf_value_new_date (gdouble ms, gint16 timezone);
AmfValue *amf_value_new_xml_document (const gchar *str, gsize len);
AmfValue *amf_value_new_xml (const gchar *str, gsize len);
AmfValue *amf_value_new_byte_array (const guint8 *data, gsize len);
AmfValue *amf_value_new_vector_int (
    const gint32 *items, guint n_items, gboolean fixed);
AmfValue *amf_value_new_vector_uint (
    const guint32 *items, guint n_items, gboolean fixed);
AmfValue *amf_value_new_vector_double (
    const gdouble *items, guint n_items, gboolean fixed);
AmfValue *amf_value_new_vector_object (const gchar *type_name, gboolean fixed);
AmfValue *amf_value_new_dictionary (gboolean weak_keys);
AmfValue *amf_value_new_reference (guint32 index);
AmfValue *amf_value_new_unsupported (void);
AmfValue *amf_value_new_avmplus (AmfValue *inner);

AmfValue *amf_value_copy (const AmfValue *value);
void amf_value_free (AmfValue *value);
gboolean amf_value_equal (const AmfValue *a, const AmfValue *b);

AmfType amf_value_get_type (const AmfValue *value);
/* @value itself, or the value an AMF_TYPE_AVMPLUS wraps */
const AmfValue *amf_value_unwrap (const AmfValue *value);
gboolean amf_value_is_null_or_undefined (const AmfValue *value);

/* Scalars. Wrong type or NULL gives the default (0, FALSE, NULL). A number
 * getter takes AMF_TYPE_NUMBER and AMF_TYPE_INTEGER. */
gdouble amf_value_get_number (const AmfValue *value);
gdouble amf_value_get_number_or (const AmfValue *value, gdouble def);
gboolean amf_value_get_boolean (const AmfValue *value);
gint32 amf_value_get_integer (const AmfValue *value);
/* Strings (also XML documents and XML): NUL-terminated; @len, if not NULL,
 * gets the byte length (strings may hold NUL bytes). */
const gchar *amf_value_get_string (const AmfValue *value);
const gchar *amf_value_get_string_or (const AmfValue *value, const gchar *def);
const gchar *amf_value_get_string_len (const AmfValue *value, gsize *len);
gdouble amf_value_get_date (const AmfValue *value, gint16 *timezone);
guint32 amf_value_get_reference (const AmfValue *value);
/* (transfer none) */
GBytes *amf_value_get_byte_array (const AmfValue *value);

/* Named members of objects, ECMA arrays and the associative part of AMF3
 * arrays, in wire order. Duplicate names are kept; lookups find the first.
 */
const gchar *amf_value_get_class_name (const AmfValue *value);
guint amf_value_get_n_properties (const AmfValue *value);
const gchar *amf_value_get_property_name (const AmfValue *value, guint i);
const AmfValue *amf_value_get_property_value (const AmfValue *value, guint i);
const AmfValue *amf_value_get_property (
    const AmfValue *value, const gchar *name);
gdouble amf_value_get_property_number (
    const AmfValue *value, const gchar *name, gdouble def);
const gchar *amf_value_get_property_string (
    const AmfValue *value, const gchar *name);
gboolean amf_value_get_property_boolean (
    const AmfValue *value, const gchar *name, gboolean def);
/* AMF3 traits of an object: the first @sealed_count members are sealed;
 * @dynamic says whether members may follow them. */
guint amf_value_get_sealed_count (const AmfValue *value);
gboolean amf_value_get_dynamic (const AmfValue *value);
/* The count field of an ECMA array as decoded, or the number of members
 * when it was built here. */
guint32 amf_value_get_ecma_count (const AmfValue *value);

/* Elements of strict arrays, the dense part of AMF3 arrays and object
 * vectors. */
guint amf_value_get_n_elements (const AmfValue *value);
const AmfValue *amf_value_get_element (const AmfValue *value, guint i);

/* Vectors: the items (int, uint or double by type), their count in
 * @n_items, and whether the vector is fixed-length. */
gconstpointer amf_value_get_vector (
    const AmfValue *value, guint *n_items, gboolean *fixed);
const gchar *amf_value_get_vector_type_name (const AmfValue *value);

/* Dictionary entries, in wire order. */
guint amf_value_get_n_entries (const AmfValue *value);
const AmfValue *amf_value_get_entry_key (const AmfValue *value, guint i);
const AmfValue *amf_value_get_entry_value (const AmfValue *value, guint i);
gboolean amf_value_get_weak_keys (const AmfValue *value);

/* Mutators. Values passed in are taken (transfer full). Setting a property
 * replaces the first member of that name or appends one. They return FALSE
 * (and free what they were given) when @value has no place for it. */
gboolean amf_value_set_property (
    AmfValue *value, const gchar *name, AmfValue *member);
gboolean amf_value_append_property (
    AmfValue *value, const gchar *name, AmfValue *member);
gboolean amf_value_set_property_string (
    AmfValue *value, const gchar *name, const gchar *str);
gboolean amf_value_set_property_number (
    AmfValue *value, const gchar *name, gdouble number);
gboolean amf_value_set_property_boolean (
    AmfValue *value, const gchar *name, gboolean b);
gboolean amf_value_append_element (AmfValue *value, AmfValue *element);
gboolean amf_value_append_entry (
    AmfValue *value, AmfValue *key, AmfValue *entry_value);
/* ECMA arrays: the count field to write (by default, the member count). */
void amf_value_set_ecma_count (AmfValue *value, guint32 count);
/* AMF3 traits of an object (default: 0 sealed, dynamic). */
void amf_value_set_traits (
    AmfValue *value, guint sealed_count, gboolean dynamic);

/* A one-line description for logs: long strings cut, deep or long
 * containers elided, the whole bounded in length. Free with g_free(). */
gchar *amf_value_to_string (const AmfValue *value);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmfValue, amf_value_free)

G_END_DECLS

#endif
