#define _GNU_SOURCE
#include "chardware.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <va/va.h>
#include <va/va_drm.h>

const unsigned long camgate_VIDIOC_QUERYCAP = VIDIOC_QUERYCAP;
const unsigned long camgate_VIDIOC_ENUM_FMT = VIDIOC_ENUM_FMT;
const unsigned long camgate_VIDIOC_ENUM_FRAMESIZES = VIDIOC_ENUM_FRAMESIZES;
const unsigned long camgate_VIDIOC_ENUM_FRAMEINTERVALS = VIDIOC_ENUM_FRAMEINTERVALS;

struct libva {
    void *va, *drm;
    __typeof__(&vaGetDisplayDRM) getDisplayDRM;
    __typeof__(&vaInitialize) initialize;
    __typeof__(&vaTerminate) terminate;
    __typeof__(&vaQueryVendorString) queryVendorString;
    __typeof__(&vaMaxNumEntrypoints) maxNumEntrypoints;
    __typeof__(&vaQueryConfigEntrypoints) queryConfigEntrypoints;
    __typeof__(&vaErrorStr) errorStr;
    __typeof__(&vaSetDriverName) setDriverName;
    __typeof__(&vaSetErrorCallback) setErrorCallback;
    __typeof__(&vaSetInfoCallback) setInfoCallback;
};

static int load_libva(struct libva *lib, char *message, size_t length) {
    memset(lib, 0, sizeof(*lib));
    lib->va = dlopen("libva.so.2", RTLD_NOW | RTLD_LOCAL);
    if (lib->va) lib->drm = dlopen("libva-drm.so.2", RTLD_NOW | RTLD_LOCAL);
    if (!lib->va || !lib->drm) {
        const char *e = dlerror();
        snprintf(message, length, "%s", e ? e : "libva cannot be loaded");
        if (lib->va) dlclose(lib->va);
        lib->va = NULL;
        return 0;
    }
    lib->getDisplayDRM = dlsym(lib->drm, "vaGetDisplayDRM");
    lib->initialize = dlsym(lib->va, "vaInitialize");
    lib->terminate = dlsym(lib->va, "vaTerminate");
    lib->queryVendorString = dlsym(lib->va, "vaQueryVendorString");
    lib->maxNumEntrypoints = dlsym(lib->va, "vaMaxNumEntrypoints");
    lib->queryConfigEntrypoints = dlsym(lib->va, "vaQueryConfigEntrypoints");
    lib->errorStr = dlsym(lib->va, "vaErrorStr");
    lib->setDriverName = dlsym(lib->va, "vaSetDriverName");
    lib->setErrorCallback = dlsym(lib->va, "vaSetErrorCallback");
    lib->setInfoCallback = dlsym(lib->va, "vaSetInfoCallback");
    if (!lib->getDisplayDRM || !lib->initialize || !lib->terminate || !lib->queryVendorString ||
        !lib->maxNumEntrypoints || !lib->queryConfigEntrypoints || !lib->errorStr) {
        snprintf(message, length, "libva lacks a required symbol");
        dlclose(lib->drm);
        dlclose(lib->va);
        lib->va = lib->drm = NULL;
        return 0;
    }
    return 1;
}

static void unload_libva(struct libva *lib) {
    if (lib->drm) dlclose(lib->drm);
    if (lib->va) dlclose(lib->va);
}

/* libva prints its own messages to stderr by default; keep them out. */
static void quiet(void *context, const char *message) { (void)context; (void)message; }

static unsigned encode_flags(struct libva *lib, VADisplay display, VAProfile profile) {
    int max = lib->maxNumEntrypoints(display);
    if (max <= 0 || max > 64) return 0;
    VAEntrypoint entrypoints[64];
    int count = 0;
    if (lib->queryConfigEntrypoints(display, profile, entrypoints, &count) != VA_STATUS_SUCCESS) return 0;
    unsigned flags = 0;
    for (int i = 0; i < count; i++) {
        if (entrypoints[i] == VAEntrypointEncSlice) flags |= CAMGATE_VAAPI_ENC_SLICE;
        if (entrypoints[i] == VAEntrypointEncSliceLP) flags |= CAMGATE_VAAPI_ENC_SLICE_LP;
    }
    return flags;
}

void camgate_vaapi_probe(const char *render_node, const char *driver_name, struct camgate_vaapi_result *out) {
    memset(out, 0, sizeof(*out));
    struct libva lib;
    if (!load_libva(&lib, out->message, sizeof(out->message))) {
        out->status = CAMGATE_VAAPI_NO_LIBVA;
        return;
    }
    int fd = open(render_node, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        out->status = CAMGATE_VAAPI_OPEN_FAILED;
        out->error_number = errno;
        snprintf(out->message, sizeof(out->message), "%s", strerror(errno));
        unload_libva(&lib);
        return;
    }
    VADisplay display = lib.getDisplayDRM(fd);
    if (!display) {
        out->status = CAMGATE_VAAPI_NO_DISPLAY;
        snprintf(out->message, sizeof(out->message), "vaGetDisplayDRM returned no display");
        close(fd);
        unload_libva(&lib);
        return;
    }
    if (lib.setErrorCallback) lib.setErrorCallback(display, quiet, NULL);
    if (lib.setInfoCallback) lib.setInfoCallback(display, quiet, NULL);
    if (driver_name && lib.setDriverName) lib.setDriverName(display, (char *)driver_name);
    VAStatus status = lib.initialize(display, &out->major, &out->minor);
    if (status != VA_STATUS_SUCCESS) {
        out->status = CAMGATE_VAAPI_INIT_FAILED;
        out->va_status = status;
        snprintf(out->message, sizeof(out->message), "%s", lib.errorStr(status));
        lib.terminate(display);
        close(fd);
        unload_libva(&lib);
        return;
    }
    const char *vendor = lib.queryVendorString(display);
    snprintf(out->vendor, sizeof(out->vendor), "%s", vendor ? vendor : "");
    VAProfile h264[] = { VAProfileH264ConstrainedBaseline, VAProfileH264Main, VAProfileH264High };
    for (unsigned i = 0; i < sizeof(h264) / sizeof(h264[0]); i++) out->h264_encode |= encode_flags(&lib, display, h264[i]);
    out->hevc_encode = encode_flags(&lib, display, VAProfileHEVCMain);
    out->status = CAMGATE_VAAPI_OK;
    lib.terminate(display);
    close(fd);
    unload_libva(&lib);
}

int camgate_vaapi_available(char *message, unsigned long length) {
    struct libva lib;
    if (!load_libva(&lib, message, length)) return 0;
    unload_libva(&lib);
    return 1;
}
