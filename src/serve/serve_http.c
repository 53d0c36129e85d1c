/* The requests: routing, the token, the body (raw or multipart, counted
 * against --max-upload), and the answers. Runs on libmicrohttpd's one
 * polling thread, which never does image work: a complete body goes to
 * the worker pool while the connection is suspended; the worker resumes
 * it with the JSON ready. */
#include "serve.h"

#include "serve_mhd.h"
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The drag-and-drop page (src/serve/page.html), embedded at build time. */
#include "page.inc"

#define CSP "default-src 'none'; img-src data: blob:; style-src 'unsafe-inline'; " \
            "script-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; " \
            "form-action 'none'"

typedef enum { RQ_OTHER, RQ_CHECK, RQ_FIX } rq_kind;
typedef enum { RQ_READING, RQ_WORKING, RQ_DONE, RQ_ANSWERED } rq_state;

/* One request, from its headers to its completion. */
typedef struct {
    serve_state *server;
    struct MHD_Connection *conn;
    rq_kind kind;
    rq_state state;
    pf_rules rules;
    uint8_t *body;
    size_t len, cap;
    uint64_t received;           /* raw body bytes, multipart framing too */
    int too_big;
    struct MHD_PostProcessor *pp;/* multipart/form-data, else NULL */
    int got_file;
    int skip_part;               /* inside a second part named "file" */
    char name[PF_PATH_LEN];
    int name_given;              /* ?name= wins over the multipart filename */
    char *json;                  /* the answer, made by the worker */
    size_t json_len;
    unsigned status;             /* HTTP status answered (for --verbose) */
    char method[8];
    char url[128];
    struct timespec start;
} request;

static atomic_long in_flight;

long serve_in_flight(void)
{
    return atomic_load(&in_flight);
}

/* ---- answers ---- */

static enum MHD_Result answer(request *rq, unsigned status, const char *type,
                              void *data, size_t len, enum MHD_ResponseMemoryMode mode,
                              const char *extra_header, const char *extra_value)
{
    struct MHD_Response *resp = MHD(MHD_create_response_from_buffer)(len, data, mode);
    if (!resp) {
        if (mode == MHD_RESPMEM_MUST_FREE)
            free(data);
        return MHD_NO;
    }
    MHD(MHD_add_response_header)(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD(MHD_add_response_header)(resp, "X-Content-Type-Options", "nosniff");
    MHD(MHD_add_response_header)(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (extra_header)
        MHD(MHD_add_response_header)(resp, extra_header, extra_value);
    enum MHD_Result r = MHD(MHD_queue_response)(rq->conn, status, resp);
    MHD(MHD_destroy_response)(resp);
    if (r == MHD_YES)
        rq->status = status;
    rq->state = RQ_ANSWERED;
    return r;
}

/* {"error":"...","status":N}: what is wrong and what to do. */
static enum MHD_Result answer_error(request *rq, unsigned status, const char *message,
                                    const char *extra_header, const char *extra_value)
{
    char *doc = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&doc, &len);
    if (!out)
        return MHD_NO;
    fputs("{\"error\":", out);
    cli_json_string(out, message);
    fprintf(out, ",\"status\":%u}\n", status);
    if (fclose(out) != 0) {
        free(doc);
        return MHD_NO;
    }
    return answer(rq, status, "application/json", doc, len, MHD_RESPMEM_MUST_FREE,
                  extra_header, extra_value);
}

static enum MHD_Result answer_too_big(request *rq)
{
    char msg[256];
    snprintf(msg, sizeof msg, _("the upload is over this server's limit of %llu bytes "
                                "(--max-upload); send a smaller file"),
             (unsigned long long)rq->server->max_upload);
    return answer_error(rq, 413, msg, NULL, NULL);
}

/* ---- the token ---- */

/* Equal strings, in a time that does not depend on where they differ. */
static int same_secret(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), n = la > lb ? la : lb;
    unsigned char diff = la != lb;
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned char)((i < la ? a[i] : 0) ^ (i < lb ? b[i] : 0));
    return diff == 0;
}

static int authorised(const serve_state *s, struct MHD_Connection *conn)
{
    if (!s->token)
        return 1;
    const char *h = MHD(MHD_lookup_connection_value)(conn, MHD_HEADER_KIND,
                                                MHD_HTTP_HEADER_AUTHORIZATION);
    if (!h || strncasecmp(h, "Bearer ", 7) != 0)
        return 0;
    return same_secret(h + 7, s->token);
}

/* ---- the body ---- */

static int append(request *rq, const char *data, size_t size)
{
    if (size > rq->cap - rq->len) {
        size_t cap = rq->cap ? rq->cap : 64 * 1024;
        while (cap - rq->len < size) {
            if (cap > SIZE_MAX / 2)
                return -1;
            cap *= 2;
        }
        uint8_t *bigger = realloc(rq->body, cap);
        if (!bigger)
            return -1;
        rq->body = bigger, rq->cap = cap;
    }
    memcpy(rq->body + rq->len, data, size);
    rq->len += size;
    return 0;
}

/* The multipart field "file" (its first file only); other fields are
 * ignored. */
static enum MHD_Result on_part(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *filename, const char *content_type,
                               const char *transfer_encoding, const char *data,
                               uint64_t off, size_t size)
{
    request *rq = cls;
    (void)kind, (void)content_type, (void)transfer_encoding;
    if (!key || strcmp(key, "file") != 0)
        return MHD_YES;
    if (off == 0) {
        rq->skip_part = rq->got_file; /* a second "file": not ours */
        rq->got_file = 1;
        if (!rq->skip_part && filename && !rq->name_given)
            snprintf(rq->name, sizeof rq->name, "%s", filename);
    }
    if (rq->skip_part || size == 0)
        return MHD_YES;
    return append(rq, data, size) == 0 ? MHD_YES : MHD_NO;
}

static int is_multipart(struct MHD_Connection *conn)
{
    const char *type = MHD(MHD_lookup_connection_value)(conn, MHD_HEADER_KIND,
                                                   MHD_HTTP_HEADER_CONTENT_TYPE);
    return type && strncasecmp(type, "multipart/form-data", 19) == 0;
}

/* One piece of the body: counted first, so an oversized upload is stopped
 * before it is stored. */
static void take_body(request *rq, const char *data, size_t size)
{
    rq->received += size;
    if (rq->too_big == 2)
        return; /* already refused: the 400 follows */
    if (rq->too_big || rq->received > rq->server->max_upload) {
        rq->too_big = 1;
        return;
    }
    if (rq->pp ? MHD(MHD_post_process)(rq->pp, data, size) != MHD_YES
               : append(rq, data, size) != 0)
        rq->too_big = 2; /* out of memory or a malformed multipart body */
}

/* MHD's timeout only ends idle connections: a body trickled a byte at a
 * time would hold its connection for ever. Past the first --timeout
 * seconds, a body must have come at MIN_RATE bytes a second on average. */
#define MIN_RATE (16 * 1024)
static int too_slow(const request *rq)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double elapsed = (double)(now.tv_sec - rq->start.tv_sec) +
                     (double)(now.tv_nsec - rq->start.tv_nsec) / 1e9;
    return elapsed > rq->server->timeout && (double)rq->received < elapsed * MIN_RATE;
}

/* ---- routing ---- */

static const char *query(struct MHD_Connection *conn, const char *key)
{
    return MHD(MHD_lookup_connection_value)(conn, MHD_GET_ARGUMENT_KIND, key);
}

static enum MHD_Result answer_get(request *rq, const char *url)
{
    serve_state *s = rq->server;
    if (strcmp(url, "/healthz") == 0)
        return answer(rq, MHD_HTTP_OK, "text/plain; charset=utf-8", (void *)"ok\n", 3,
                      MHD_RESPMEM_PERSISTENT, NULL, NULL);
    if (strcmp(url, "/v1/profiles") == 0)
        return answer(rq, MHD_HTTP_OK, "application/json", s->profiles_json,
                      s->profiles_json_len, MHD_RESPMEM_PERSISTENT, NULL, NULL);
    return answer(rq, MHD_HTTP_OK, "text/html; charset=utf-8", (void *)serve_page,
                  sizeof serve_page, MHD_RESPMEM_PERSISTENT,
                  "Content-Security-Policy", CSP);
}

/* The profile of ?profile= (else the server's); NULL when unknown. */
static const pf_rules *request_rules(const serve_state *s, struct MHD_Connection *conn)
{
    const char *name = query(conn, "profile");
    if (!name || !*name)
        return s->default_rules;
    const pf_profile *p = pf_profiles_find(s->profiles, name);
    return p ? &p->rules : NULL;
}

/* What the headers alone decide: a GET, a refusal, or a POST to read. */
static enum MHD_Result route(request *rq, const char *url, const char *method)
{
    int get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
    int post = !strcmp(method, "POST");
    int api = !strcmp(url, "/v1/check") || !strcmp(url, "/v1/fix");
    if (!authorised(rq->server, rq->conn))
        return answer_error(rq, MHD_HTTP_UNAUTHORIZED,
                            _("missing or wrong token: send the header "
                              "'Authorization: Bearer TOKEN'"),
                            MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
    if (!api && strcmp(url, "/") && strcmp(url, "/healthz") && strcmp(url, "/v1/profiles"))
        return answer_error(rq, MHD_HTTP_NOT_FOUND,
                            _("no such page: use /, /healthz, /v1/profiles, "
                              "POST /v1/check or POST /v1/fix"), NULL, NULL);
    if (api ? !post : !get)
        return answer_error(rq, MHD_HTTP_METHOD_NOT_ALLOWED,
                            api ? _("this address takes POST with the image as the body")
                                : _("this address takes GET"),
                            MHD_HTTP_HEADER_ALLOW, api ? "POST" : "GET, HEAD");
    return MHD_YES; /* answered once the request is complete: keep-alive */
}

/* ---- the work (on a pool thread) ---- */

typedef struct {
    const uint8_t *data;
    size_t len;
    pf_format format;
    const char *filename;
} image_out;

static void write_base64(FILE *out, const uint8_t *p, size_t n)
{
    static const char abc[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char quad[4];
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        quad[0] = abc[v >> 18 & 63];
        quad[1] = abc[v >> 12 & 63];
        quad[2] = i + 1 < n ? abc[v >> 6 & 63] : '=';
        quad[3] = i + 2 < n ? abc[v & 63] : '=';
        fwrite(quad, 1, 4, out);
    }
}

/* fix's extra member of files[0]: the file written, or null. */
static void write_image_member(FILE *out, void *arg)
{
    const image_out *img = arg;
    fputs(",\"image\":", out);
    if (!img->data) {
        fputs("null", out);
        return;
    }
    fprintf(out, "{\"content_type\":\"%s\",\"filename\":",
            img->format == PF_FORMAT_PNG ? "image/png" : "image/jpeg");
    cli_json_string(out, img->filename);
    fputs(",\"base64\":\"", out);
    write_base64(out, img->data, img->len);
    fputs("\"}", out);
}

/* NAME.jpg from the uploaded name: its last component, less its extension
 * (a label only: it never reaches the file system here). */
static void output_filename(const char *name, pf_format format, char *buf, size_t cap)
{
    const char *base = name;
    for (const char *p = name; *p; p++)
        if (*p == '/' || *p == '\\')
            base = p + 1;
    const char *dot = strrchr(base, '.');
    int stem = dot && dot > base ? (int)(dot - base) : (int)strlen(base);
    if (stem > 200)
        stem = 200; /* room for the extension, whatever the name */
    snprintf(buf, cap, "%.*s%s", stem ? stem : 5, stem ? base : "image",
             format == PF_FORMAT_PNG ? ".png" : ".jpg");
}

/* The check or fix --json document for the one file, into rq->json. */
static void report_json(request *rq, const pf_report *report, image_out *img)
{
    size_t len = 0;
    FILE *out = open_memstream(&rq->json, &len);
    cli_reporter r = {
        .out = out, .json = 1, .command = rq->kind == RQ_FIX ? "fix" : "check",
        .rules = &rq->rules, .file_extra = img ? write_image_member : NULL,
        .file_extra_arg = img,
    };
    if (!out)
        return;
    cli_report_begin(&r);
    cli_report_file(&r, rq->name, report);
    cli_report_end(&r);
    if (fclose(out) != 0) {
        free(rq->json);
        rq->json = NULL;
        return;
    }
    rq->json_len = len;
}

void serve_run_job(void *job, pf_ctx *ctx)
{
    request *rq = job;
    uint8_t *out = NULL;
    size_t out_len = 0;
    char filename[256];
    image_out img = {0};
    pf_report *report = calloc(1, sizeof *report);
    pf_status st = PF_ERR_NOMEM;
    if (!report)
        goto cleanup;
    report->quality = -1;
    if (pf_ctx_set_rules(ctx, &rq->rules) != PF_OK)
        goto cleanup;
    if (rq->kind == RQ_FIX)
        st = pf_fix_buffer(ctx, rq->body, rq->len, rq->name, &out, &out_len,
                           &img.format, report);
    else
        st = pf_check_buffer(ctx, rq->body, rq->len, rq->name, report);
    cli_settle_status(ctx, st, report);
    if (rq->kind == RQ_FIX && report->has_output && out) {
        output_filename(rq->name, img.format, filename, sizeof filename);
        snprintf(report->output_path, sizeof report->output_path, "%s", filename);
        img.data = out, img.len = out_len, img.filename = filename;
    } else {
        report->has_output = 0;
    }
    report_json(rq, report, rq->kind == RQ_FIX ? &img : NULL);
cleanup:
    free(report);
    pf_free(out);
    free(rq->body); /* the image is done with: memory back before the answer */
    rq->body = NULL, rq->len = rq->cap = 0;
    rq->state = RQ_DONE;
    MHD(MHD_resume_connection)(rq->conn);
}

/* ---- the handler ---- */

/* A POST to read: the profile, the name, Content-Length against the limit. */
static enum MHD_Result begin_post(request *rq, const char *url)
{
    const pf_rules *rules = request_rules(rq->server, rq->conn);
    const char *name = query(rq->conn, "name");
    const char *length = MHD(MHD_lookup_connection_value)(rq->conn, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (!rules)
        return answer_error(rq, MHD_HTTP_BAD_REQUEST,
                            _("unknown profile: GET /v1/profiles lists them"), NULL, NULL);
    if (length && strtoull(length, NULL, 10) > rq->server->max_upload)
        return answer_too_big(rq);
    rq->rules = *rules;
    rq->kind = strcmp(url, "/v1/fix") == 0 ? RQ_FIX : RQ_CHECK;
    rq->name_given = name && *name;
    snprintf(rq->name, sizeof rq->name, "%s", rq->name_given ? name : "upload");
    if (is_multipart(rq->conn) &&
        !(rq->pp = MHD(MHD_create_post_processor)(rq->conn, 64 * 1024, on_part, rq)))
        return answer_error(rq, MHD_HTTP_BAD_REQUEST,
                            _("a multipart/form-data body needs a boundary"), NULL, NULL);
    return MHD_YES;
}

/* The body is all in: hand it to a worker, or say why not. */
static enum MHD_Result body_complete(request *rq)
{
    if (rq->too_big == 1)
        return answer_too_big(rq);
    if (rq->too_big)
        return answer_error(rq, MHD_HTTP_BAD_REQUEST,
                            _("the body could not be read (a malformed multipart "
                              "body, or the server is out of memory)"), NULL, NULL);
    if (rq->pp && !rq->got_file)
        return answer_error(rq, MHD_HTTP_BAD_REQUEST,
                            _("the multipart body has no field 'file'"), NULL, NULL);
    rq->state = RQ_WORKING;
    /* Suspended before it is queued, so that a worker that finishes at
     * once resumes a suspended connection. */
    MHD(MHD_suspend_connection)(rq->conn);
    if (serve_pool_submit(rq->server->pool, rq) == 0)
        return MHD_YES;
    MHD(MHD_resume_connection)(rq->conn);
    return answer_error(rq, MHD_HTTP_SERVICE_UNAVAILABLE,
                        _("the server is busy: try again in a second"),
                        MHD_HTTP_HEADER_RETRY_AFTER, "1");
}

static request *new_request(serve_state *s, struct MHD_Connection *conn,
                            const char *url, const char *method)
{
    request *rq = calloc(1, sizeof *rq);
    if (!rq)
        return NULL;
    rq->server = s, rq->conn = conn;
    snprintf(rq->method, sizeof rq->method, "%s", method);
    snprintf(rq->url, sizeof rq->url, "%s", url);
    clock_gettime(CLOCK_MONOTONIC, &rq->start);
    atomic_fetch_add(&in_flight, 1);
    return rq;
}

enum MHD_Result serve_handle(void *cls, struct MHD_Connection *conn, const char *url,
                             const char *method, const char *version,
                             const char *upload_data, size_t *upload_data_size,
                             void **con_cls)
{
    request *rq = *con_cls;
    (void)version;
    if (!rq) {
        if (!(*con_cls = rq = new_request(cls, conn, url, method)))
            return MHD_NO;
        enum MHD_Result r = route(rq, url, method);
        if (r != MHD_YES || rq->state != RQ_READING || (strcmp(url, "/v1/check") &&
                                                        strcmp(url, "/v1/fix")))
            return r;
        return begin_post(rq, url);
    }
    if (rq->state == RQ_READING && *upload_data_size > 0) {
        take_body(rq, upload_data, *upload_data_size);
        *upload_data_size = 0;
        /* MHD cannot answer in mid-body: the rest of an oversized body is
         * read and dropped (no memory, no worker), and the 413 goes out
         * once it is in; a sender that goes on far beyond the limit is
         * cut off instead. */
        if (rq->too_big == 1 && rq->received / 2 > rq->server->max_upload + (1u << 20))
            return MHD_NO;
        return too_slow(rq) ? MHD_NO : MHD_YES;
    }
    if (rq->state == RQ_READING && rq->kind == RQ_OTHER)
        return answer_get(rq, rq->url);
    if (rq->state == RQ_READING)
        return body_complete(rq);
    if (rq->state == RQ_DONE) {
        if (!rq->json)
            return answer_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR,
                                _("out of memory making the report"), NULL, NULL);
        char *json = rq->json;
        rq->json = NULL;
        return answer(rq, MHD_HTTP_OK, "application/json", json, rq->json_len,
                      MHD_RESPMEM_MUST_FREE, NULL, NULL);
    }
    return MHD_YES;
}

void serve_completed(void *cls, struct MHD_Connection *conn, void **con_cls, int toe)
{
    request *rq = *con_cls;
    serve_state *s = cls;
    (void)conn;
    if (!rq)
        return;
    if (s->verbose) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        double ms = (double)(now.tv_sec - rq->start.tv_sec) * 1e3 +
                    (double)(now.tv_nsec - rq->start.tv_nsec) / 1e6;
        fprintf(stderr, "preflight serve: %s %s %u %.0f ms%s\n", rq->method, rq->url,
                rq->status, ms, toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" :
                " (connection closed)");
    }
    if (rq->pp)
        MHD(MHD_destroy_post_processor)(rq->pp);
    free(rq->body);
    free(rq->json);
    free(rq);
    *con_cls = NULL;
    atomic_fetch_sub(&in_flight, 1);
}
