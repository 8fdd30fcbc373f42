/*
 * smtp: syntax checks of SMTP replies, shared by every process that reads
 * the configuration and by the supervisor's validator.  Each check returns
 * 0, or -1 with a short static reason in *why_r.
 */
#ifndef FILTERD_LIB_SMTP_H
#define FILTERD_LIB_SMTP_H

/* A reply code "[45][0-9][0-9]" of the class of action (enum action). */
int	smtp_check_code(const char *code, int action, const char **why_r);
/* An enhanced code "[45].x.y", x and y 1 to 3 digits, of code's class. */
int	smtp_check_ecode(const char *ecode, const char *code, const char **);
/* Printable ASCII, at most VERDICT_TEXT_MAX bytes. */
int	smtp_check_text(const char *, const char **);
/* Returns 1 when s is printable ASCII only (no controls, no 8-bit). */
int	smtp_printable(const char *s);
/*
 * Splits "550 5.7.1 Some text" into its parts (each may be NULL when
 * absent; the caller frees them) and checks them for the given action.
 * Returns 0 or -1 with a reason.
 */
int	smtp_parse_reply(const char *, int action, char **code_r,
	    char **ecode_r, char **text_r, const char **why_r);

#endif
