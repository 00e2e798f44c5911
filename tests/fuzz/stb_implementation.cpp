// stb_image and stb_image_resize from Debian's headers, compiled here so that the fuzzer sees
// (and instruments) the decoder it drives; the product links Debian's libstb instead.
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_RESIZE_IMPLEMENTATION
#include <stb_image.h>
#include <stb_image_resize.h>
