/* Go's lexical path cleaning and base name, for byte-identical file names in reports. */
#include "analyze/pathutil.h"

#include <stdbool.h>
#include <string.h>

#include "core/gofmt.h"

void np_path_clean(np_buf *b, const char *path)
{
    size_t n = strlen(path);
    np_buf_reserve(b, n + 2);
    b->len += np_go_path_clean(b->data + b->len, path, n);
}

/* Whether Clean would return path as it is: no empty, "." or ".." element and no trailing
 * slash. Conservative: "." and a relative path's leading ".." are clean too, and the long way
 * finds that out. Reports clean the same few file names for every line of a profile. */
static bool already_clean(const char *p)
{
    size_t i = p[0] == '/';
    if (!p[i])
        return i == 1;
    for (;;) {
        size_t j = i;
        while (p[j] && p[j] != '/')
            j++;
        size_t len = j - i;
        if (len == 0 || (p[i] == '.' && (len == 1 || (len == 2 && p[i + 1] == '.'))))
            return false;
        if (!p[j])
            return true;
        i = j + 1;
        if (!p[i])
            return false;
    }
}

const char *np_path_clean_arena(np_arena *a, const char *path)
{
    if (already_clean(path))
        return path;
    np_buf b = {0};
    np_path_clean(&b, path);
    if (strcmp(b.data, path) == 0) {
        np_buf_free(&b);
        return path; /* already clean: share the caller's string */
    }
    const char *r = np_arena_strndup(a, b.data, b.len);
    np_buf_free(&b);
    return r;
}

void np_path_base_buf(np_buf *b, const char *path)
{
    size_t n = strlen(path);
    if (n == 0) {
        np_buf_putc(b, '.');
        return;
    }
    while (n > 0 && path[n - 1] == '/')
        n--;
    if (n == 0) {
        np_buf_putc(b, '/');
        return;
    }
    const char *slash = memrchr(path, '/', n);
    const char *s = slash ? slash + 1 : path;
    np_buf_add(b, s, (size_t)(path + n - s));
    np_buf_cstr(b);
}
