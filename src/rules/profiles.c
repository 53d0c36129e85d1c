/* The built-in profiles: each platform's figures with where they are
 * stated. A "200 KB" minimum is read on the safe side (204,800 B) and a
 * maximum on the safe side too (200,000 B): a file meeting both readings
 * passes whichever the portal meant. */
#include "internal.h"

#include <stdio.h>
#include <string.h>

#define ACCEPT_JPEG_PNG ((1u << PF_FORMAT_JPEG) | (1u << PF_FORMAT_PNG))
#define KB_MIN(n) ((uint64_t)(n) * 1024)     /* a minimum in KB, safe side */
#define KB_MAX(n) ((uint64_t)(n) * 1000)     /* a maximum in KB, safe side */
#define MB_MAX(n) ((uint64_t)(n) * 1000000)  /* a maximum in MB, safe side */
/* fix writes at most this long a side for the cloud consoles, whose byte
 * limits are generous: a card or an A4 page stays clearly legible (about
 * 200 dpi for A4) without uploading a 48-megapixel photo. */
#define CLOUD_FIX_SIDE 2400
#define READ_ON "2026-11-30"

typedef struct {
    const char *name, *title;
    const char *source;    /* the document the figures come from */
    const char *stated;    /* the figures in its words */
    uint64_t min_bytes, max_bytes;
    uint32_t min_long, min_short, max_long, max_short, fix_max_long;
    int face;              /* the face-check photo's rules */
} builtin;

static const builtin builtins[] = {
    {"wechat", N_("WeChat mini-program filing: ID card and licence images"),
     N_("WeChat mini-program filing guide as given in the project brief (not "
        "stated on the developers.weixin.qq.com filing API pages read)"),
     "ID photos ≤ 200K, ≥ 1500×1100 either way, colour",
     0, KB_MAX(200), 1500, 1100, 0, 0, 0, 0},
    {"alipay-license", N_("Alipay mini-program filing: business licence"),
     N_("https://github.com/alipay/alipay-sdk-java-all/blob/"
        "a10e09dd9b8465ee08ece34d8cd601b5bf90502c/v2/src/main/java/com/alipay/"
        "api/request/AlipayOpenMiniIcpMediaUploadRequest.java (Alipay's SDK, "
        "API alipay.open.mini.icp.media.upload)"),
     "营业执照：图片大小不低于100K不超过2M，分辨率不低于1100*1500或者1500*1100，"
     "必须为彩色; jpg、jpeg、png",
     KB_MIN(100), MB_MAX(2), 1500, 1100, 0, 0, 0, 0},
    {"alipay-idcard", N_("Alipay mini-program filing: ID card"),
     N_("https://github.com/alipay/alipay-sdk-java-all/blob/"
        "a10e09dd9b8465ee08ece34d8cd601b5bf90502c/v2/src/main/java/com/alipay/"
        "api/request/AlipayOpenMiniIcpMediaUploadRequest.java (Alipay's SDK, "
        "API alipay.open.mini.icp.media.upload)"),
     "身份证照片：图片大小不低于100K不超过2M，分辨率不低于720*1280或者1280*720，"
     "必须为彩色; jpg、jpeg、png",
     KB_MIN(100), MB_MAX(2), 1280, 720, 0, 0, 0, 0},
    {"face", N_("Face-check photo on a pure white background"),
     N_("WeChat mini-program filing guide as given in the project brief (a "
        "face photo on a pure white background, uncovered, one person)"),
     "≤ 200K, pure white background",
     0, KB_MAX(200), 0, 0, 0, 0, 1600, 1},
    {"tencent", N_("Tencent Cloud ICP filing: every image"),
     N_("https://github.com/tencentyun/qcloud-documents/blob/"
        "4e4812f7a02011f25ecf646dbf758d515354cd57/product/域名与网站/网站备案/"
        "备案准备/备案材料上传.md (Tencent Cloud docs, 备案材料上传; another "
        "version says 9MB: 8MB meets both)"),
     "每张图片大小应在200KB - 8MB之间; JPG、JPEG、PNG、GIF; 彩色扫描件或拍照件",
     KB_MIN(200), MB_MAX(8), 0, 0, 0, 0, CLOUD_FIX_SIDE, 0},
    {"aliyun", N_("Alibaba Cloud ICP filing"),
     N_("https://help.aliyun.com/wordpower/1128259-1.html (Alibaba Cloud help, "
        "from 下载域名证书: the 4 MB maximum; its 200 KB minimum is stated for "
        "the domain certificate only)"),
     "备案要求所上传的域名证书图片大小应为200 KB~4 MB",
     0, MB_MAX(4), 0, 0, 0, 0, CLOUD_FIX_SIDE, 0},
    {"huawei", N_("Huawei Cloud ICP filing"),
     N_("https://github.com/huaweicloud/huaweicloud-skills/blob/"
        "e74999da4c1822407ee4c805bf854dc0dd21527a/skills/cdi/assist/"
        "huawei-cloud-icp-process-guidance/kb/procedures/"
        "备案材料咨询.md (Huawei's summary of its help page 电子版证件资料要求)"),
     "jpg、png，图片大小通常限制在4MB以内; 彩色扫描件或者原件拍照电子版",
     0, MB_MAX(4), 0, 0, 0, 0, CLOUD_FIX_SIDE, 0},
    {"volcengine", N_("Volcano Engine ICP filing"),
     N_("https://www.volcengine.com/docs/6428/79355 (Volcano Engine, 备案资料上传, "
        "updated 2024-01-23)"),
     "上传5MB以内的，分辨率不小于500✖️300或者300✖️500且不大于5000✖️5000的图片; "
     "PNG、JPG、JPEG; 彩色",
     0, MB_MAX(5), 500, 300, 5000, 5000, CLOUD_FIX_SIDE, 0},
};
#define N_BUILTINS (sizeof builtins / sizeof builtins[0])

const char *pf_profile_name(size_t index)
{
    return index < N_BUILTINS ? builtins[index].name : NULL;
}

void pf_rules_default_image_limits(pf_rules *rules)
{
    rules->min_sharpness = PF_SHARPNESS_FAIL;
    rules->warn_sharpness = PF_SHARPNESS_WARN;
    rules->max_glare = PF_GLARE_FAIL;
    rules->warn_glare = PF_GLARE_WARN;
    rules->min_brightness = PF_DARK_FAIL;
    rules->warn_brightness = PF_DARK_WARN;
    rules->max_washout = PF_WASHOUT_FAIL;
    rules->warn_washout = PF_WASHOUT_WARN;
    rules->min_fill = PF_FILL_WARN;
    rules->min_face_size = PF_FACE_SIZE_FAIL;
    rules->warn_face_size = PF_FACE_SIZE_WARN;
}

void pf_rules_blank(pf_rules *rules, const char *name)
{
    memset(rules, 0, sizeof *rules);
    rules->accepted_formats = ACCEPT_JPEG_PNG;
    rules->orientation = PF_ORIENT_ANY;
    rules->white_min_share = PF_WHITE_MIN_SHARE;
    rules->white_level = PF_WHITE_LEVEL;
    rules->white_spread = PF_WHITE_SPREAD;
    pf_rules_default_image_limits(rules);
    pf_set_message(rules->name, sizeof rules->name, "%s", name ? name : "");
}

static const builtin *find_builtin(const char *name)
{
    for (size_t i = 0; name && i < N_BUILTINS; i++)
        if (strcmp(builtins[i].name, name) == 0)
            return &builtins[i];
    return NULL;
}

static void builtin_rules(const builtin *b, pf_rules *rules)
{
    pf_rules_blank(rules, b->name);
    rules->require_color = 1;
    rules->min_bytes = b->min_bytes, rules->max_bytes = b->max_bytes;
    rules->min_long = b->min_long, rules->min_short = b->min_short;
    rules->max_long = b->max_long, rules->max_short = b->max_short;
    rules->fix_max_long = b->fix_max_long;
    /* The documents: "清晰、完整", "证件需边角完整", "不得有反光". A face
     * photo: one person, face uncovered, in focus and well lit. */
    rules->image_checks = b->face
        ? PF_RULE_FACE | PF_RULE_SHARPNESS | PF_RULE_EXPOSURE : PF_RULE_DOCUMENT_ALL;
    rules->white_background = b->face;
    /* TRANSLATORS: a built-in profile's source and the day it was read. */
    pf_set_message(rules->source, sizeof rules->source, _("%s (read %s)"),
                   _(b->source), READ_ON);
}

pf_status pf_profile_rules(const char *name, pf_rules *rules)
{
    const builtin *b = find_builtin(name);
    if (!b || !rules)
        return PF_ERR_INVALID_ARG;
    builtin_rules(b, rules);
    return PF_OK;
}

/* The built-in profiles as listed in a pf_profiles set. */
size_t pf_builtin_profile_count(void)
{
    return N_BUILTINS;
}

void pf_builtin_profile(size_t index, pf_profile *p)
{
    const builtin *b = &builtins[index];
    memset(p, 0, sizeof *p);
    builtin_rules(b, &p->rules);
    pf_set_message(p->title, sizeof p->title, "%s", _(b->title));
    pf_set_message(p->stated, sizeof p->stated, "%s", b->stated);
    pf_set_message(p->origin, sizeof p->origin, "built-in");
}
