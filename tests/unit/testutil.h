/* gst-rtmpe tests: byte vectors in hex, the recorded sessions
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __TEST_UTIL_H__
#define __TEST_UTIL_H__

#include <stdlib.h>
#include <string.h>

#include <glib.h>

#if defined(__SANITIZE_ADDRESS__)
/* LeakSanitizer matches tests/lsan.supp against the stack of each leaked
 * block. GLib has no frame pointers, so the fast unwinder stops at
 * g_malloc and no suppression (GLib's quark table, GStreamer's type system)
 * can match: unwind the slow way. ASAN_OPTIONS still overrides this. */
const char *__asan_default_options (void);
const char *
__asan_default_options (void)
{
  return "fast_unwind_on_malloc=0";
}
#endif

/* "02 00 05 68 65" (spaces and newlines ignored) -> bytes */
static inline GBytes *
hex_bytes (const gchar *hex)
{
  GByteArray *a = g_byte_array_new ();
  gint hi = -1;

  for (; *hex; hex++) {
    gint v = g_ascii_xdigit_value (*hex);

    if (v < 0) {
      g_assert_true (g_ascii_isspace (*hex));
      continue;
    }
    if (hi < 0) {
      hi = v;
    } else {
      guint8 b = (hi << 4) | v;

      g_byte_array_append (a, &b, 1);
      hi = -1;
    }
  }
  g_assert_cmpint (hi, ==, -1);
  return g_byte_array_free_to_bytes (a);
}

static inline gchar *
bytes_hex (const guint8 *data, gsize len)
{
  GString *s = g_string_new (NULL);
  gsize i;

  for (i = 0; i < len; i++)
    g_string_append_printf (s, "%s%02x", i ? " " : "", data[i]);
  return g_string_free (s, FALSE);
}

/* Fails the test with both byte strings shown when they differ. */
#define assert_bytes_equal(data, len, expected_bytes)                          \
  G_STMT_START                                                                 \
  {                                                                            \
    gsize _el;                                                                 \
    const guint8 *_e = g_bytes_get_data ((expected_bytes), &_el);              \
    if ((len) != _el || memcmp ((data), _e, _el) != 0) {                       \
      gchar *_a = bytes_hex ((data), (len)), *_b = bytes_hex (_e, _el);        \
      g_error ("%s:%d: bytes differ\n  got      %s\n  expected %s", __FILE__,  \
          __LINE__, _a, _b);                                                   \
    }                                                                          \
  }                                                                            \
  G_STMT_END

/* tests/data/@name: from TESTS_SOURCE_DIR (set by meson test), else next to
 * this source file as the compiler saw it (for runs from the build dir) */
#define test_data_path(name) test_data_path_from (__FILE__, (name))
static inline gchar *
test_data_path_from (const gchar *file, const gchar *name)
{
  const gchar *dir = g_getenv ("TESTS_SOURCE_DIR");
  gchar *here, *path;

  if (dir)
    return g_build_filename (dir, "data", name, NULL);
  here = g_path_get_dirname (file);
  path = g_build_filename (here, "..", "data", name, NULL);
  g_free (here);
  return path;
}

/* One line of tests/data/rtmp-session-messages.txt */
typedef struct
{
  gchar *session; /* conn1 ... */
  gchar *direction; /* c2s or s2c */
  guint chunk_stream_id;
  guint8 type;
  guint32 stream_id;
  GBytes *payload;
} SessionMessage;

static inline void
session_message_free (gpointer p)
{
  SessionMessage *m = p;

  g_free (m->session);
  g_free (m->direction);
  g_bytes_unref (m->payload);
  g_free (m);
}

static inline GPtrArray *
load_session_messages (void)
{
  gchar *path = test_data_path ("rtmp-session-messages.txt");
  GPtrArray *msgs = g_ptr_array_new_with_free_func (session_message_free);
  gchar *text = NULL, **lines;
  GError *error = NULL;
  guint i;

  g_assert_true (g_file_get_contents (path, &text, NULL, &error));
  g_assert_no_error (error);
  lines = g_strsplit (text, "\n", -1);
  for (i = 0; lines[i]; i++) {
    SessionMessage *m;
    gchar **f;

    if (lines[i][0] == '#' || lines[i][0] == '\0')
      continue;
    f = g_strsplit (lines[i], " ", -1);
    g_assert_cmpuint (g_strv_length (f), ==, 6);
    m = g_new0 (SessionMessage, 1);
    m->session = g_strdup (f[0]);
    m->direction = g_strdup (f[1]);
    m->chunk_stream_id = atoi (f[2]);
    m->type = atoi (f[3]);
    m->stream_id = atoi (f[4]);
    m->payload = hex_bytes (f[5]);
    g_ptr_array_add (msgs, m);
    g_strfreev (f);
  }
  g_strfreev (lines);
  g_free (text);
  g_free (path);
  return msgs;
}

#endif
