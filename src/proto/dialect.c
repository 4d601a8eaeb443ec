/*
 * dialect.c: the three protocol tables (see dialect.h). Meta shares the
 * text parser, which hands it the two-letter "m?" lines.
 */
#include "proto/dialect.h"

#include "proto/binary.h"
#include "proto/meta.h"
#include "proto/text.h"

const struct proto_ops proto_text_ops = {
    .parse = text_parse,
    .compose_bound = text_compose_bound,
    .compose = text_compose,
    .value_crlf = 2,
    .line_framed = true,
    .body_follows = false,
};

const struct proto_ops proto_meta_ops = {
    .parse = text_parse,
    .compose_bound = meta_compose_bound,
    .compose = meta_compose,
    .value_crlf = 2,
    .line_framed = true,
    .body_follows = false,
};

const struct proto_ops proto_binary_ops = {
    .parse = binary_parse,
    .compose_bound = binary_compose_bound,
    .compose = binary_compose,
    .value_crlf = 0,
    .line_framed = false,
    .body_follows = true,
};

const struct proto_ops *const proto_ops_by_request[3] = {
    [REQ_PROTO_TEXT] = &proto_text_ops,
    [REQ_PROTO_META] = &proto_meta_ops,
    [REQ_PROTO_BINARY] = &proto_binary_ops,
};
