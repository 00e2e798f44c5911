#include "engine/data/internal/image_codec.h"

#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <memory>

#include <png.h>
#include <turbojpeg.h>

#include "engine/data/images.h"

namespace cx::engine {
namespace {

bool fitsLimits(int64_t width, int64_t height) {
    return width > 0 && height > 0 && width <= kMaxImageSide && height <= kMaxImageSide && width * height <= kMaxImagePixels;
}

Error tooLarge(const std::string& name, int64_t width, int64_t height) {
    return invalidInput("image " + name + " is " + std::to_string(width) + "x" + std::to_string(height) +
                        " pixels, more than the limit of " + std::to_string(kMaxImagePixels) + " pixels (" +
                        std::to_string(kMaxImageSide) + " per side)");
}

// libpng reports errors through a callback that must not return: it records the message and
// jumps back to decodePng's setjmp. Everything that outlives a jump is reached through
// `PngState`, a heap object whose address does not change after setjmp.
struct PngState {
    const uint8_t* data = nullptr;
    size_t size = 0, offset = 0;
    png_uint_32 width = 0, height = 0;
    bool tooLarge = false;
    char message[200] = {};
    Rgb8Image image;
    std::vector<png_bytep> rows;
};

void pngError(png_structp png, png_const_charp message) {
    auto* state = static_cast<PngState*>(png_get_error_ptr(png));
    std::snprintf(state->message, sizeof state->message, "%s", message);
    png_longjmp(png, 1);
}

void pngWarning(png_structp, png_const_charp) {}

void pngRead(png_structp png, png_bytep out, png_size_t count) {
    auto* state = static_cast<PngState*>(png_get_io_ptr(png));
    if (count > state->size - state->offset) png_error(png, "the file ends inside the image");
    std::memcpy(out, state->data + state->offset, count);
    state->offset += count;
}

uint32_t bigEndian32(const uint8_t* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }

Result<Rgb8Image> decodePng(const std::vector<uint8_t>& bytes, const std::string& name) {
    // The IHDR chunk comes first (PNG spec 5.6): its size is checked here, because libpng reads
    // on to the next chunks before it hands the header back.
    if (bytes.size() >= 24 && std::memcmp(bytes.data() + 12, "IHDR", 4) == 0) {
        const uint32_t width = bigEndian32(bytes.data() + 16), height = bigEndian32(bytes.data() + 20);
        if (width > 0 && height > 0 && !fitsLimits(width, height)) return tooLarge(name, width, height);
    }
    auto state = std::make_unique<PngState>();
    state->data = bytes.data();
    state->size = bytes.size();
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, state.get(), pngError, pngWarning);
    if (!png) return Error{ErrorCode::OutOfResources, "cannot decode image " + name + ": out of memory"};
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, nullptr);
        if (state->tooLarge) return tooLarge(name, state->width, state->height);
        return invalidInput("cannot decode image " + name + ": " + state->message);
    }
    if (!info) png_error(png, "out of memory");
    png_set_read_fn(png, state.get(), pngRead);
    png_read_info(png, info);
    const png_uint_32 width = png_get_image_width(png, info), height = png_get_image_height(png, info);
    state->width = width;
    state->height = height;
    if (!fitsLimits(width, height)) {
        state->tooLarge = true;
        png_error(png, "too large");
    }
    // As PIL's convert("RGB"): palette and low-bit grey expanded, 16 bits to 8, grey to RGB,
    // alpha dropped.
    png_set_expand(png);
    png_set_strip_16(png);
    png_set_gray_to_rgb(png);
    png_set_strip_alpha(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_rowbytes(png, info) != size_t(width) * 3) png_error(png, "unsupported pixel layout");
    state->image.width = int(width);
    state->image.height = int(height);
    state->image.pixels.resize(size_t(width) * height * 3);
    state->rows.resize(height);
    for (png_uint_32 y = 0; y < height; ++y) state->rows[y] = state->image.pixels.data() + size_t(y) * width * 3;
    png_read_image(png, state->rows.data());
    png_read_end(png, nullptr);
    png_destroy_read_struct(&png, &info, nullptr);
    return std::move(state->image);
}

Result<Rgb8Image> decodeJpeg(const std::vector<uint8_t>& bytes, const std::string& name) {
    const std::unique_ptr<void, int (*)(tjhandle)> handle(tjInitDecompress(), tjDestroy);
    if (!handle) return Error{ErrorCode::OutOfResources, "cannot decode image " + name + ": out of memory"};
    auto failure = [&] { return invalidInput("cannot decode image " + name + ": " + tjGetErrorStr2(handle.get())); };
    int width = 0, height = 0, subsampling = 0, colourspace = 0;
    if (tjDecompressHeader3(handle.get(), bytes.data(), static_cast<unsigned long>(bytes.size()), &width, &height,
                            &subsampling, &colourspace) != 0)
        return failure();
    if (width <= 0 || height <= 0) return invalidInput("cannot decode image " + name + ": no pixels");
    if (!fitsLimits(width, height)) return tooLarge(name, width, height);
    Rgb8Image image;
    image.width = width;
    image.height = height;
    image.pixels.resize(size_t(width) * size_t(height) * 3);
    // The default (accurate) IDCT and fancy upsampling: what PIL decodes with. Warnings (extra
    // bytes before a marker, say) are not errors, as in PIL; but a file that ends inside the
    // image would be decoded with its missing part filled in grey, so it is refused.
    if (tjDecompress2(handle.get(), bytes.data(), static_cast<unsigned long>(bytes.size()), image.pixels.data(), width,
                      0, height, TJPF_RGB, 0) != 0) {
        const std::string message = tjGetErrorStr2(handle.get());
        if (tjGetErrorCode(handle.get()) == TJERR_FATAL) return failure();
        if (message.find("Premature end") != std::string::npos)
            return invalidInput("cannot decode image " + name + ": the file ends inside the image");
    }
    return image;
}

}  // namespace

Result<Rgb8Image> decodePngOrJpeg(const std::vector<uint8_t>& bytes, const std::string& name) {
    const bool png = bytes.size() >= 8 && png_sig_cmp(bytes.data(), 0, 8) == 0;
    const bool jpeg = bytes.size() >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF;
    if (png) return decodePng(bytes, name);
    if (jpeg) return decodeJpeg(bytes, name);
    return invalidInput("cannot decode image " + name + ": not a PNG or JPEG file");
}

}  // namespace cx::engine
