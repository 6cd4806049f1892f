/* gst-rtmfp tests: hex helpers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __RTMFP_TEST_UTIL_H__
#define __RTMFP_TEST_UTIL_H__

#include <glib.h>
#include <string.h>

static inline guint8 *
test_unhex (const gchar *hex, gsize *len)
{
  gsize n = 0, cap = strlen (hex) / 2 + 1;
  guint8 *out = g_malloc (cap);

  for (const gchar *p = hex; *p;) {
    if (g_ascii_isspace (*p)) {
      p++;
      continue;
    }
    g_assert_true (g_ascii_isxdigit (p[0]) && g_ascii_isxdigit (p[1]));
    out[n++] = (g_ascii_xdigit_value (p[0]) << 4) | g_ascii_xdigit_value (p[1]);
    p += 2;
  }
  if (len)
    *len = n;
  return out;
}

static inline gchar *
test_hex (const guint8 *data, gsize len)
{
  gchar *s = g_malloc (2 * len + 1);

  for (gsize i = 0; i < len; i++)
    g_snprintf (s + 2 * i, 3, "%02x", data[i]);
  s[2 * len] = 0;
  return s;
}

static inline void
test_assert_hex (const gchar *file, int line, const guint8 *data, gsize len,
    const gchar *want)
{
  gchar *got = test_hex (data, len);
  GString *w = g_string_new (NULL);

  for (const gchar *p = want; *p; p++)
    if (!g_ascii_isspace (*p))
      g_string_append_c (w, *p);
  if (strcmp (got, w->str) != 0)
    g_error ("%s:%d: got %s, want %s", file, line, got, w->str);
  g_free (got);
  g_string_free (w, TRUE);
}

#define assert_hex(data, len, hex)                                             \
  test_assert_hex (__FILE__, __LINE__, (data), (len), (hex))

#endif
