// SPDX-License-Identifier: GPL-2.0
/* user/http.c: the request-head parser, on well-formed and hostile heads. */
#include <string.h>
#include "unit.h"
#include "core/http.h"

struct want {
	const char *head;
	int code;
	const char *path;
	bool is_head, gzip;
};

static const struct want cases[] = {
	{ "GET /metrics HTTP/1.1\r\nHost: x\r\n", 0, "/metrics", false, false },
	{ "HEAD / HTTP/1.0", 0, "/", true, false },
	{ "GET /metrics?x=1#f HTTP/1.1\r\n", 0, "/metrics", false, false },
	{ "GET http://h:1/metrics HTTP/1.1\r\n", 0, "/metrics", false, false },
	{ "GET HTTP://h HTTP/1.1\r\n", 400 },
	{ "GET /m HTTP/1.1\nAccept-Encoding: gzip\n", 0, "/m", false, true },
	{ "GET /m HTTP/1.1\r\naccept-encoding: br, GZIP;q=0.5\r\n", 0, "/m",
	  false, true },
	{ "GET /m HTTP/1.1\r\nAccept-Encoding: gzip;q=0\r\n", 0, "/m", false,
	  false },
	{ "GET /m HTTP/1.1\r\nAccept-Encoding: gzipped\r\n", 0, "/m", false,
	  false },
	{ "GET /m HTTP/1.1\r\nX-Accept-Encoding: gzip\r\n", 0, "/m", false,
	  false },
	{ "GET /m HTTP/1.1\r\nAccept-Encoding: br\r\nHost: x\r\n"
	  "Accept-Encoding: gzip\r\n",
	  0, "/m", false, true },
	{ "GET /m HTTP/1.1\r\nAccept-Encoding: gzip;q=0\r\n"
	  "Accept-Encoding: gzip\r\n",
	  0, "/m", false, false },
	{ "POST /metrics HTTP/1.1\r\n", 405 },
	{ "OPTIONS * HTTP/1.1\r\n", 405 },
	{ "GET /metrics HTTP/2.0\r\n", 505 },
	{ "GET /metrics HTTX/1.1\r\n", 400 },
	{ "GET metrics HTTP/1.1\r\n", 400 },
	{ "GET /metrics\r\n", 400 },
	{ "GET /a /b HTTP/1.1\r\n", 400 },
	{ "", 400 },
	{ "\r\n", 400 },
	{ "   ", 400 },
};

static void test_cases(void)
{
	struct ws_http_req req;
	char buf[256];
	unsigned int i;
	int code;

	case_begin("request heads: status, path, HEAD, gzip");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct want *w = &cases[i];

		snprintf(buf, sizeof(buf), "%s", w->head);
		code = ws_http_parse(buf, &req);
		CHECK(code == w->code, "'%s': got %d, expected %d", w->head,
		      code, w->code);
		if (code || w->code)
			continue;
		CHECK(!strcmp(req.path, w->path), "'%s': path %s", w->head,
		      req.path);
		CHECK(req.head == w->is_head, "'%s': head", w->head);
		CHECK(req.gzip == w->gzip, "'%s': gzip", w->head);
	}
	case_end();
}

static void test_long_header_value(void)
{
	static char buf[WS_HTTP_MAX_HEAD + 1];
	struct ws_http_req req;
	size_t n;

	case_begin("an Accept-Encoding longer than the parser's buffer");
	n = snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nAccept-Encoding: ");
	memset(buf + n, 'x', sizeof(buf) - n - 1);
	CHECK_EQ(ws_http_parse(buf, &req), 0, "status");
	CHECK(!req.gzip, "gzip from a garbage header");
	case_end();
}

int main(void)
{
	test_cases();
	test_long_header_value();
	return unit_exit();
}
