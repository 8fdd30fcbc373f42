/*
 * 01-buf: the bounded buffer and reader never pass their bounds.
 */
#include <string.h>

#include "filterd/lib/buf.h"
#include "t/tap.h"

int
main(void)
{
	struct buf	*b = buf_new(8);
	struct rd	 r;
	const uint8_t	*p;
	uint32_t	 u32;
	uint8_t		 u8;
	size_t		 n;
	char		*s;

	ok(buf_put(b, "12345678", 8) == 0, "fills to the maximum");
	ok(buf_put_u8(b, 1) == -1, "one more byte is refused");
	is_int((long long)buf_len(b), 8, "and the length is unchanged");
	ok(buf_cstr(b) != NULL && strcmp(buf_cstr(b), "12345678") == 0,
	    "a full buffer still has room for its NUL");
	buf_reset(b);
	ok(buf_put_u64(b, 1) == 0, "a u64 fits in 8");
	buf_reset(b);
	buf_put_u32(b, 1);
	ok(buf_put_u64(b, 1) == -1 && buf_len(b) == 4,
	    "a u64 that does not fit leaves nothing behind");
	buf_reset(b);
	ok(buf_put_str(b, "abcd") == 0, "length-prefixed string fits");
	ok(buf_put_str(b, "e") == -1, "the next does not");
	ok(buf_printf(b, "%d", 1) == -1, "printf past the maximum refused");
	buf_reset(b);
	ok(buf_printf(b, "%s-%d", "ab", 42) == 0 &&
	    strcmp(buf_cstr(b), "ab-42") == 0, "bounded printf");
	ok(buf_poke_u32(b, 3, 0) == -1, "poke past the end refused");
	ok(buf_space(b, 4) == NULL, "space past the maximum refused");
	buf_free(&b);
	ok(b == NULL, "free clears the pointer");

	rd_init(&r, "\0\0\0\3abc\0\0\0\5ab", 13);
	ok(rd_str(&r, 10, 0, &s) == 0 && strcmp(s, "abc") == 0,
	    "reads a string");
	free(s);
	ok(rd_str(&r, 10, 0, &s) == -1 && s == NULL,
	    "a string longer than the frame is refused");
	ok(rd_u8(&r, &u8) == -1, "and the error sticks");
	ok(rd_end(&r) == -1, "rd_end reports it");

	rd_init(&r, "\0\0\0\3abc", 7);
	ok(rd_str(&r, 2, 0, &s) == -1, "a string over its bound is refused");
	rd_init(&r, "\0\0\0\3a\0c", 7);
	ok(rd_str(&r, 8, 0, &s) == -1, "an embedded NUL is refused");
	rd_init(&r, "\0\0\0\0", 4);
	ok(rd_str(&r, 8, 1, &s) == 0 && s == NULL, "nullable empty is NULL");
	ok(rd_end(&r) == 0, "exact end");
	rd_init(&r, "\xff\xff\xff\xff", 4);
	ok(rd_mem(&r, (size_t)-1, &p, &n) == -1, "a huge length is refused");
	rd_init(&r, "\0\0\0\1\0", 5);
	ok(rd_u32(&r, &u32) == 0 && u32 == 1 && rd_end(&r) == -1,
	    "a trailing byte fails rd_end");
	return done_testing();
}
