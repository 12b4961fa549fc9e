/* Numeric helpers that need C's `long double` and printf.
 *
 * Redis computes INCRBYFLOAT in `long double` (80-bit extended precision on
 * x86-64) and prints the result with "%.17Lf" before trimming trailing zeros,
 * so the reply bytes depend on extended precision arithmetic that Rust has no
 * type for. These functions are written for rustredis; they take and return
 * plain bytes so the Rust side stays free of C types. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <errno.h>
#include <ctype.h>

/* Parses `len` bytes as a long double, Redis string2ld rules: no leading
 * space, whole string consumed, not NaN, finite not required to be checked
 * here (the caller handles inf). Returns 1 on success and stores the parsed
 * value as raw 16 bytes into out. */
int rr_string2ld(const char *s, size_t len, long double *out) {
    char buf[5120];
    char *eptr;
    long double value;
    if (len == 0 || len >= sizeof(buf)) return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    value = strtold(buf, &eptr);
    if (isspace((unsigned char)buf[0]) || eptr[0] != '\0' ||
        (size_t)(eptr - buf) != len ||
        (errno == ERANGE && (value == HUGE_VALL || value == -HUGE_VALL || fpclassify(value) == FP_ZERO)) ||
        isnan(value))
        return 0;
    *out = value;
    return 1;
}

/* Formats like Redis's long double "human" mode: "%.17Lf" then trailing
 * zeros (and a trailing dot) removed; "-0" becomes "0". Returns the length
 * or 0 on failure (inf/nan or buffer too small). */
int rr_ld2string_human(long double value, char *buf, size_t len) {
    int l;
    if (isinf(value) || isnan(value)) return 0;
    l = snprintf(buf, len, "%.17Lf", value);
    if (l <= 0 || (size_t)l + 1 > len) return 0;
    if (strchr(buf, '.') != NULL) {
        char *p = buf + l - 1;
        while (*p == '0') { p--; l--; }
        if (*p == '.') l--;
    }
    if (l == 2 && buf[0] == '-' && buf[1] == '0') { buf[0] = '0'; l = 1; }
    buf[l] = '\0';
    return l;
}

/* a + b in long double, parsed from strings; result formatted in human mode.
 * Returns length written to out, -1 when a or b is not a valid float,
 * -2 when the result is NaN or infinite. */
int rr_incrbyfloat(const char *a, size_t alen, const char *b, size_t blen, char *out, size_t outlen) {
    long double x, y, r;
    if (!rr_string2ld(a, alen, &x)) return -1;
    if (!rr_string2ld(b, blen, &y)) return -3;
    r = x + y;
    if (isnan(r) || isinf(r)) return -2;
    int l = rr_ld2string_human(r, out, outlen);
    return l > 0 ? l : -2;
}

/* "%.17g" of a double, as Redis's addReplyDouble in 7.0. */
int rr_fmt_g17(double d, char *out, size_t outlen) {
    return snprintf(out, outlen, "%.17g", d);
}

/* strtod with Redis's string2d rules (no leading space, whole string, not NaN). */
int rr_string2d(const char *s, size_t len, double *out) {
    char buf[5120];
    char *eptr;
    double value;
    if (len == 0 || len >= sizeof(buf)) return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    value = strtod(buf, &eptr);
    if (isspace((unsigned char)buf[0]) || eptr[0] != '\0' ||
        (size_t)(eptr - buf) != len ||
        (errno == ERANGE && (value == HUGE_VAL || value == -HUGE_VAL || fpclassify(value) == FP_ZERO)) ||
        isnan(value))
        return 0;
    *out = value;
    return 1;
}

/* A blocking command's timeout (Redis 7.0 getTimeoutFromObjectOrReply with
 * seconds): the text parsed as a long double, times 1000, rounded up, then
 * converted to a 64-bit integer the way x86-64 converts out-of-range values
 * (to INT64_MIN, which the caller reports as negative). Returns 1 and stores
 * the milliseconds, or 0 when the text is not a valid float. */
int rr_timeout_ms(const char *s, size_t len, long long *out) {
    long double v, ms;
    if (!rr_string2ld(s, len, &v)) return 0;
    ms = ceill(v * 1000.0);
    if (ms >= -9223372036854775808.0L && ms < 9223372036854775808.0L)
        *out = (long long)ms;
    else
        *out = (-9223372036854775807LL - 1);
    return 1;
}

/* Plain C strtod over a NUL-terminated string: returns the value and stores
 * in *consumed how many bytes were parsed (0 when nothing was). Leading
 * spaces, hex floats, "inf"/"infinity"/"nan" follow the C library, as Redis's
 * range parsing (ZRANGEBYSCORE min/max) and listpack score reading do. */
double rr_strtod(const char *s, size_t *consumed) {
    char *eptr;
    double v = strtod(s, &eptr);
    *consumed = (size_t)(eptr - s);
    return v;
}

/* A double widened to long double and formatted in human mode (Redis
 * addReplyHumanLongDouble, used for GEOPOS / WITHCOORD coordinates).
 * Returns the length, or 0 for inf/nan or a buffer too small. */
int rr_fmt_human_d(double d, char *out, size_t outlen) {
    return rr_ld2string_human((long double)d, out, outlen);
}
