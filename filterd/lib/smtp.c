/*
 * smtp: the syntax of what filterd tells an MTA -- reply codes, enhanced
 * status codes and reply text.  Shared: the configuration loader checks
 * replies with it in the parent, the spawner and the supervisor, and the
 * supervisor's validator checks every worker's reply with it.  Pure
 * functions over their arguments; no I/O, no state.
 */
#include <stdlib.h>
#include <string.h>

#include "filterd/lib/smtp.h"
#include "filterd/lib/verdict.h"

static int
fail(const char **why_r, const char *why)
{
	*why_r = why;
	return -1;
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int
smtp_check_code(const char *code, int action, const char **why_r)
{
	if (strlen(code) != 3 || !is_digit(code[1]) || !is_digit(code[2]))
		return fail(why_r, "reply code is not three digits");
	if (code[0] == '5' && action == ACTION_REJECT)
		return 0;
	if (code[0] == '4' && action == ACTION_TEMPFAIL)
		return 0;
	if (code[0] != '4' && code[0] != '5')
		return fail(why_r, "reply code is not 4xx or 5xx");
	return fail(why_r, "reply code class does not match the action");
}

/* Reads 1 to 3 digits at *s; returns 0 and advances, or -1. */
static int
ecode_part(const char **s)
{
	int	 n;

	for (n = 0; n < 3 && is_digit(**s); n++)
		(*s)++;
	return n == 0 || is_digit(**s) ? -1 : 0;
}

int
smtp_check_ecode(const char *ecode, const char *code, const char **why_r)
{
	const char	*s = ecode;

	if (code == NULL)
		return fail(why_r, "enhanced code without reply code");
	if ((s[0] != '4' && s[0] != '5') || s[1] != '.')
		return fail(why_r, "enhanced code is not [45].x.y");
	s += 2;
	if (ecode_part(&s) == -1 || *s++ != '.' || ecode_part(&s) == -1 ||
	    *s != '\0')
		return fail(why_r, "enhanced code is not [45].x.y");
	if (ecode[0] != code[0])
		return fail(why_r, "enhanced code class differs from reply code");
	return 0;
}

/* Printable ASCII only: no controls, no CR, LF or NUL, no 8-bit. */
int
smtp_printable(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s < 0x20 || *s > 0x7e)
			return 0;
	return 1;
}

int
smtp_check_text(const char *text, const char **why_r)
{
	if (!smtp_printable(text))
		return fail(why_r, "reply text is not printable ASCII");
	if (strlen(text) > VERDICT_TEXT_MAX)
		return fail(why_r, "reply text too long");
	return 0;
}

int
smtp_parse_reply(const char *s, int action, char **code_r, char **ecode_r,
    char **text_r, const char **why_r)
{
	const char	*p, *sp;
	char		 code[4];

	*code_r = *ecode_r = *text_r = NULL;
	if (action != ACTION_REJECT && action != ACTION_TEMPFAIL) {
		*why_r = "only reject and tempfail take a reply";
		return -1;
	}
	if (strnlen(s, 4) < 3 || (s[3] != ' ' && s[3] != '\0')) {
		*why_r = "must start with a three-digit code";
		return -1;
	}
	memcpy(code, s, 3);
	code[3] = '\0';
	if (smtp_check_code(code, action, why_r) == -1)
		return -1;
	p = s[3] == ' ' ? s + 4 : s + 3;
	if ((*p == '4' || *p == '5') && p[1] == '.') {
		sp = strchr(p, ' ');
		if ((*ecode_r = strndup(p, sp ? (size_t)(sp - p) :
		    strlen(p))) == NULL)
			goto nomem;
		if (smtp_check_ecode(*ecode_r, code, why_r) == -1)
			goto fail;
		p = sp ? sp + 1 : p + strlen(p);
	}
	if (*p != '\0') {
		if (smtp_check_text(p, why_r) == -1)
			goto fail;
		if ((*text_r = strdup(p)) == NULL)
			goto nomem;
	}
	if ((*code_r = strdup(code)) == NULL)
		goto nomem;
	return 0;
nomem:
	*why_r = "out of memory";
fail:
	free(*ecode_r);
	free(*text_r);
	*ecode_r = *text_r = NULL;
	return -1;
}
