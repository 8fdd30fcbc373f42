/*
 * badabi: a module built for another version of filter.h, to check that
 * filterd refuses it at start-up.
 */
#include "filters/filter.h"

const struct filter_module filterd_module = {
	.abi = FILTER_ABI_VERSION + 100,
	.name = "bad-abi",
};
