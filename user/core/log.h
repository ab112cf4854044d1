/* SPDX-License-Identifier: GPL-2.0 */
/* Logging: errors and warnings, one line each on stderr. */
#ifndef WS_LOG_H
#define WS_LOG_H

extern const char *ws_prog;

/* Prints "wirescope: error: ..." and returns @code, the exit code. */
int ws_error(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void ws_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
