/* html_entities: the HTML named character references (html_entities.c). */
#ifndef FILTERD_HTML_ENTITIES_H
#define FILTERD_HTML_ENTITIES_H

#include <stddef.h>
#include <stdint.h>

#define HTML_ENTITY_NAME_MAX	32	/* the longest name, with its ';' */

struct html_entity {
	const char	*name;	/* without '&'; with ';' unless legacy */
	uint32_t	 cp[2];	/* one or two code points; 0: none */
};

/* Sorted by name, in byte order. */
extern const struct html_entity	html_entities[];
extern const size_t		html_nentities;

#endif
