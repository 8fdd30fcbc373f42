/*
 * filter: the functions filter.h promises modules.  They run in the
 * worker, called by module code; they trust the message (already decoded
 * and bounded) and check what modules hand them only for size and shape
 * -- the supervisor's validator has the last word.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "filterd/lib/config.h"
#include "filterd/lib/rfc5322.h"
#include "filterd/lib/smtp.h"
#include "filters/filter_impl.h"
#include "filters/mime.h"
#include "filters/view.h"

const char *
filter_msg_sender(const struct filter_msg *fm)
{
	return fm->m->sender;
}

size_t
filter_msg_rcpt_count(const struct filter_msg *fm)
{
	return fm->m->nrcpts;
}

const char *
filter_msg_rcpt(const struct filter_msg *fm, size_t i)
{
	return i < fm->m->nrcpts ? fm->m->rcpts[i] : NULL;
}

const char *
filter_msg_helo(const struct filter_msg *fm)
{
	return fm->m->helo;
}

const char *
filter_msg_client_addr(const struct filter_msg *fm)
{
	return fm->m->client_addr;
}

const char *
filter_msg_client_name(const struct filter_msg *fm)
{
	return fm->m->client_name;
}

const char *
filter_msg_queue_id(const struct filter_msg *fm)
{
	return fm->m->queue_id;
}

const char *
filter_msg_macro(const struct filter_msg *fm, const char *name)
{
	return message_macro(fm->m, name);
}

size_t
filter_msg_header_count(const struct filter_msg *fm)
{
	return fm->m->nhdrs;
}

const char *
filter_msg_header_name(const struct filter_msg *fm, size_t i)
{
	return i < fm->m->nhdrs ? fm->m->hdrs[i].name : NULL;
}

const char *
filter_msg_header_value(const struct filter_msg *fm, size_t i)
{
	return i < fm->m->nhdrs ? fm->m->hdrs[i].value : NULL;
}

const char *
filter_msg_header(const struct filter_msg *fm, const char *name, size_t nth)
{
	size_t	 i;

	for (i = 0; i < fm->m->nhdrs; i++)
		if (strcasecmp(fm->m->hdrs[i].name, name) == 0 && --nth == 0)
			return fm->m->hdrs[i].value;
	return NULL;
}

const uint8_t *
filter_msg_body(const struct filter_msg *fm, size_t *len_r)
{
	*len_r = fm->m->bodylen;
	return fm->m->body != NULL ? fm->m->body : (const uint8_t *)"";
}

const uint8_t *
filter_msg_text(const struct filter_msg *fm, size_t *len_r)
{
	return mime_text(fm->mime, len_r);
}

size_t
filter_msg_part_count(const struct filter_msg *fm)
{
	return mime_part_count(fm->mime);
}

const char *
filter_msg_part_type(const struct filter_msg *fm, size_t i)
{
	const struct mime_part	*p = mime_part(fm->mime, i);

	return p != NULL ? mime_part_type(p) : NULL;
}

const char *
filter_msg_part_filename(const struct filter_msg *fm, size_t i)
{
	const struct mime_part	*p = mime_part(fm->mime, i);

	return p != NULL ? mime_part_filename(p) : NULL;
}

size_t
filter_msg_part_depth(const struct filter_msg *fm, size_t i)
{
	const struct mime_part	*p = mime_part(fm->mime, i);

	return p != NULL ? mime_part_depth(p) : 0;
}

int
filter_msg_part_is_attachment(const struct filter_msg *fm, size_t i)
{
	const struct mime_part	*p = mime_part(fm->mime, i);

	return p != NULL ? mime_part_is_attachment(p) : 0;
}

const uint8_t *
filter_msg_part_data(const struct filter_msg *fm, size_t i, size_t *len_r)
{
	const struct mime_part	*p = mime_part(fm->mime, i);

	const uint8_t		*d;

	*len_r = 0;
	if (p == NULL)
		return NULL;
	d = mime_part_data(p, len_r);
	return d != NULL ? d : (const uint8_t *)"";
}

/*
 * The views.  A filter_msg made without one (a test's) sees no text, no
 * URLs and an unreadable archive: nothing passes for want of a view.
 */
const uint8_t *
filter_msg_view_text(const struct filter_msg *fm, size_t *len_r)
{
	*len_r = 0;
	return fm->view != NULL ? view_text(fm->view, len_r) :
	    (const uint8_t *)"";
}

size_t
filter_msg_url_count(const struct filter_msg *fm)
{
	return fm->view != NULL ? view_url_count(fm->view) : 0;
}

const char *
filter_msg_url(const struct filter_msg *fm, size_t i)
{
	return fm->view != NULL ? view_url(fm->view, i) : NULL;
}

const char *
filter_msg_url_host(const struct filter_msg *fm, size_t i)
{
	return fm->view != NULL ? view_url_host(fm->view, i) : NULL;
}

int
filter_msg_url_flags(const struct filter_msg *fm)
{
	return fm->view != NULL ? (int)view_url_flags(fm->view) :
	    FILTER_URL_OVER_LIMIT;
}

size_t
filter_msg_archive_entry_count(const struct filter_msg *fm)
{
	return fm->view != NULL ? view_entry_count(fm->view) : 0;
}

const char *
filter_msg_archive_entry_name(const struct filter_msg *fm, size_t i)
{
	const struct arch_entry	*e;

	e = fm->view != NULL ? view_entry(fm->view, i) : NULL;
	return e != NULL ? e->name : NULL;
}

size_t
filter_msg_archive_entry_depth(const struct filter_msg *fm, size_t i)
{
	const struct arch_entry	*e;

	e = fm->view != NULL ? view_entry(fm->view, i) : NULL;
	return e != NULL ? e->depth : 0;
}

int
filter_msg_archive_flags(const struct filter_msg *fm)
{
	return fm->view != NULL ? (int)view_arch_flags(fm->view) :
	    FILTER_ARCHIVE_UNREADABLE;
}

int
filter_action(const struct filter_result *r)
{
	return r->v->action;
}

int
filter_set_action(struct filter_result *r, int action, const char *reply)
{
	char		*code = NULL, *ecode = NULL, *text = NULL;
	const char	*why;
	int		 rc;

	if (action < FILTER_NONE || action > FILTER_QUARANTINE)
		return -1;
	if (reply != NULL && smtp_parse_reply(reply, action, &code, &ecode,
	    &text, &why) == -1)
		return -1;
	rc = verdict_set_reply(r->v, code, ecode, text);
	free(code);
	free(ecode);
	free(text);
	if (rc == 0)
		r->v->action = (uint8_t)action;
	return rc;
}

int
filter_quarantine(struct filter_result *r, const char *reason)
{
	if (verdict_set_reason(r->v, reason) == -1)
		return -1;
	r->v->action = ACTION_QUARANTINE;
	return 0;
}

/* The validator's own checks, so that a module hears of its mistake. */
static int
filter_header_ok(const char *name, const char *value)
{
	const char	*why;

	if (rfc5322_check_name(name, &why) == -1)
		return 0;
	return value == NULL || rfc5322_check_value(value, &why) == 0;
}

int
filter_add_header(struct filter_result *r, const char *name,
    const char *value)
{
	if (value == NULL || !filter_header_ok(name, value))
		return -1;
	return verdict_add_op(r->v, HDR_ADD, 0, name, value);
}

int
filter_insert_header(struct filter_result *r, size_t index, const char *name,
    const char *value)
{
	if (index > MSG_INDEX_MAX || value == NULL ||
	    !filter_header_ok(name, value))
		return -1;
	return verdict_add_op(r->v, HDR_INSERT, (uint32_t)index, name, value);
}

int
filter_change_header(struct filter_result *r, const char *name, size_t nth,
    const char *value)
{
	if (nth == 0 || nth > MSG_INDEX_MAX || value == NULL ||
	    !filter_header_ok(name, value))
		return -1;
	return verdict_add_op(r->v, HDR_CHANGE, (uint32_t)nth, name, value);
}

int
filter_delete_header(struct filter_result *r, const char *name, size_t nth)
{
	if (nth == 0 || nth > MSG_INDEX_MAX || !filter_header_ok(name, NULL))
		return -1;
	return verdict_add_op(r->v, HDR_DELETE, (uint32_t)nth, name, NULL);
}

int
filter_hit(struct filter_result *r, const char *rule)
{
	return verdict_add_rule(r->v, rule);
}

int
filter_add_score(struct filter_result *r, double points)
{
	return verdict_add_score(r->v, points);
}

double
filter_score(const struct filter_result *r)
{
	return r->v->score / 1000.0;
}

int
filter_log(struct filter_result *r, const char *fmt, ...)
{
	char	 line[VERDICT_LOG_MAX + 1];
	va_list	 ap;

	char	*p;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* The validator takes printable ASCII only; say so here. */
	for (p = line; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e)
			*p = '?';
	return verdict_add_log(r->v, line);
}
