#ifndef CAMGATE_CHARDWARE_H
#define CAMGATE_CHARDWARE_H

#include <stdint.h>
#include <linux/videodev2.h>

/* ---- V4L2 ----------------------------------------------------------------
 * The ioctl request numbers are built by function-like macros (_IOR/_IOWR)
 * that Swift cannot import; they are exported here as constants. The
 * structures (v4l2_capability, v4l2_fmtdesc, v4l2_frmsizeenum,
 * v4l2_frmivalenum) are imported from videodev2.h as they are.
 */
extern const unsigned long camgate_VIDIOC_QUERYCAP;
extern const unsigned long camgate_VIDIOC_ENUM_FMT;
extern const unsigned long camgate_VIDIOC_ENUM_FRAMESIZES;
extern const unsigned long camgate_VIDIOC_ENUM_FRAMEINTERVALS;

/* ---- VAAPI ---------------------------------------------------------------
 * libva is loaded with dlopen (libva.so.2 + libva-drm.so.2) so that the
 * agent runs on boards without it; the calls are typed by <va/va.h>.
 */
enum camgate_vaapi_status {
    CAMGATE_VAAPI_OK = 0,
    CAMGATE_VAAPI_NO_LIBVA = 1,       /* libva or libva-drm cannot be loaded */
    CAMGATE_VAAPI_OPEN_FAILED = 2,    /* the render node cannot be opened (errno) */
    CAMGATE_VAAPI_NO_DISPLAY = 3,     /* vaGetDisplayDRM returned nothing */
    CAMGATE_VAAPI_INIT_FAILED = 4,    /* vaInitialize failed (va_status, message) */
};

/* Encode entrypoint flags per codec. */
#define CAMGATE_VAAPI_ENC_SLICE    1u
#define CAMGATE_VAAPI_ENC_SLICE_LP 2u

struct camgate_vaapi_result {
    int status;                 /* enum camgate_vaapi_status */
    int error_number;           /* errno for OPEN_FAILED */
    int va_status;              /* VAStatus for INIT_FAILED */
    int major, minor;           /* VA-API version */
    char vendor[256];           /* vaQueryVendorString */
    char message[256];          /* dlerror / vaErrorStr */
    unsigned h264_encode;       /* CAMGATE_VAAPI_ENC_* for any H.264 profile */
    unsigned hevc_encode;       /* CAMGATE_VAAPI_ENC_* for HEVC Main */
};

/* Opens `render_node`, initializes VA-API on it and lists its H.264 / HEVC
 * encode entrypoints. `driver_name` (may be NULL) sets LIBVA_DRIVER_NAME's
 * equivalent through vaSetDriverName. Never crashes on a missing library,
 * node or driver: the status says what is missing. */
void camgate_vaapi_probe(const char *render_node, const char *driver_name, struct camgate_vaapi_result *out);

/* 1 when libva.so.2 and libva-drm.so.2 can be loaded; message on failure. */
int camgate_vaapi_available(char *message, unsigned long length);

#endif
