"""Image rules at and around their thresholds, on ImageSample, pairs, shard samples and documents."""

import io

import pytest
from PIL import Image

from filters import (
    KEEP,
    AspectRatioFilter,
    Dropped,
    ImageCountFilter,
    ImageFormatFilter,
    ImageSample,
    ImageSizeFilter,
    Keep,
    LogoUrlFilter,
    Reject,
    SingleColourFilter,
)
from schemas import Document, ImageRef, ImageTextPair, MediaFile, PairSample, RejectReason


def encoded(img, fmt):
    buf = io.BytesIO()
    img.save(buf, fmt)
    return buf.getvalue()


@pytest.mark.parametrize(
    "w,h,expected",
    [
        (64, 64, KEEP),
        (63, 100, Reject(RejectReason.IMAGE_TOO_SMALL, "63x100: side 63 < 64")),
        (100, 63, Reject(RejectReason.IMAGE_TOO_SMALL, "100x63: side 63 < 64")),
        (65, 65, KEEP),
    ],
)
def test_image_size(w, h, expected):
    assert ImageSizeFilter().filter(ImageSample(url="http://x.test/a.jpg", width=w, height=h)) == expected


def test_image_size_reads_the_original_size_of_a_resized_pair():
    pair = ImageTextPair(
        key="a",
        url="http://x.test/a.jpg",
        caption="c",
        width=224,
        height=224,
        original_width=40,
        original_height=300,
    )
    assert ImageSizeFilter().filter(pair) == Reject(RejectReason.IMAGE_TOO_SMALL, "40x300: side 40 < 64")


def test_image_size_max_side_and_pixels():
    f = ImageSizeFilter(max_side=100)
    assert f.filter(ImageSample(image=Image.new("RGB", (100, 80)))) == KEEP
    assert f.filter(ImageSample(image=Image.new("RGB", (101, 80)))) == Reject(
        RejectReason.IMAGE_TOO_LARGE, "101x80: side 101 > 100"
    )
    assert f.filter(ImageSample(url="http://x.test/a.jpg")) == KEEP  # size unknown: cannot judge


@pytest.mark.parametrize(
    "w,h,expected",
    [
        (300, 100, KEEP),
        (100, 300, KEEP),
        (301, 100, Reject(RejectReason.ASPECT_RATIO, "301x100: aspect ratio 3.010 > 3.0")),
        (100, 301, Reject(RejectReason.ASPECT_RATIO, "100x301: aspect ratio 3.010 > 3.0")),
    ],
)
def test_aspect_ratio(w, h, expected):
    assert AspectRatioFilter().filter(ImageSample(width=w, height=h)) == expected


def two_tone(a, b, size=(32, 32)):
    img = Image.new("RGB", size, (a, a, a))
    img.paste(Image.new("RGB", (size[0] // 2, size[1]), (b, b, b)), (0, 0))
    return img


def test_single_colour_threshold():
    f = SingleColourFilter()
    assert f.filter(ImageSample(image=Image.new("RGB", (32, 32), (10, 200, 30)))) == Reject(
        RejectReason.SINGLE_COLOUR, "max channel std 0.000 < 3.0"
    )
    assert f.filter(ImageSample(image=two_tone(100, 106))) == KEEP  # std exactly 3.0
    assert f.filter(ImageSample(image=two_tone(100, 105))) == Reject(
        RejectReason.SINGLE_COLOUR, "max channel std 2.500 < 3.0"
    )


def test_single_colour_decodes_bytes_and_large_images():
    flat = encoded(Image.new("RGB", (500, 400), (0, 0, 255)), "PNG")
    assert SingleColourFilter().filter(ImageSample(data=flat)).reason == RejectReason.SINGLE_COLOUR
    assert SingleColourFilter().filter(ImageSample(data=encoded(two_tone(0, 255, (500, 400)), "PNG"))) == KEEP


def test_single_colour_sees_through_border_padding():
    # a flat 160x120 image border-resized to 64x64 (white bars top and bottom) is still one colour
    padded = Image.new("RGB", (64, 64), (255, 255, 255))
    padded.paste(Image.new("RGB", (64, 48), (230, 80, 160)), (0, 8))
    assert (
        SingleColourFilter().filter(ImageSample(image=padded, width=160, height=120)).reason
        == RejectReason.SINGLE_COLOUR
    )
    # without the source size the bars are picture: two colours, kept
    assert SingleColourFilter().filter(ImageSample(image=padded)) == KEEP
    # JPEG ringing along the bars' edges does not make it a picture
    jpeg = encoded(padded, "JPEG")
    assert (
        SingleColourFilter().filter(ImageSample(data=jpeg, width=160, height=120)).reason
        == RejectReason.SINGLE_COLOUR
    )


def test_undecodable_bytes_are_a_reject():
    verdict = SingleColourFilter().filter(ImageSample(url="http://x.test/a.jpg", data=b"not an image"))
    assert verdict.reason == RejectReason.UNDECODABLE and "http://x.test/a.jpg" in verdict.detail


def test_image_format():
    f = ImageFormatFilter()
    img = Image.new("RGB", (8, 8))
    assert f.filter(ImageSample(data=encoded(img, "PNG"))) == KEEP
    assert f.filter(ImageSample(data=encoded(img, "JPEG"))) == KEEP
    assert f.filter(ImageSample(data=encoded(img, "WEBP"))) == KEEP
    assert f.filter(ImageSample(data=encoded(img, "GIF"))) == Reject(
        RejectReason.UNSUPPORTED_FORMAT, "format gif not in ['jpeg', 'png', 'webp']"
    )
    assert (
        f.filter(ImageSample(url="http://x.test/a/b.svg")).detail
        == "format svg not in ['jpeg', 'png', 'webp']"
    )
    assert f.filter(ImageSample(url="http://x.test/a/b")) == KEEP
    assert ImageFormatFilter(formats=("gif",)).filter(ImageSample(data=encoded(img, "GIF"))) == KEEP


@pytest.mark.parametrize(
    "url,marker",
    [
        ("http://x.test/img/logo.png", "logo"),
        ("http://x.test/static/site_logo.png", "logo"),
        ("http://x.test/icons/twitter.png", "icon"),
        ("http://x.test/favicon.ico", "favicon"),
        ("http://x.test/BUTTON-buy.gif", "button"),
        ("http://x.test/photos/silicon-valley.jpg", None),
        ("http://logo.test/photos/cat.jpg", None),  # host names are not judged
    ],
)
def test_logo_url(url, marker):
    verdict = LogoUrlFilter().filter(ImageSample(url=url))
    assert verdict == (
        KEEP if marker is None else Reject(RejectReason.LOGO_URL, f"url path contains {marker!r}")
    )


def make_doc(n_images, sizes=None):
    blocks = ["some text"]
    for i in range(n_images):
        w, h = sizes[i] if sizes else (100, 100)
        blocks.append(ImageRef(url=f"http://x.test/{i}.jpg", width=w, height=h))
    return Document.from_blocks("d1", "http://x.test/", blocks)


def test_image_filters_drop_document_slots():
    doc = make_doc(3, [(100, 100), (10, 100), (100, 100)])
    verdict = ImageSizeFilter().filter(doc)
    assert isinstance(verdict, Keep)
    assert verdict.dropped == (
        Dropped("image", 2, RejectReason.IMAGE_TOO_SMALL, "10x100: side 10 < 64", "http://x.test/1.jpg"),
    )
    assert [im.url for _, im in verdict.sample.image_slots()] == [
        "http://x.test/0.jpg",
        "http://x.test/2.jpg",
    ]


def test_image_count():
    f = ImageCountFilter()
    assert f.filter(make_doc(0)) == Reject(RejectReason.TOO_FEW_IMAGES, "0 images < 1")
    assert f.filter(make_doc(1)) == KEEP
    assert f.filter(make_doc(30)) == KEEP
    assert f.filter(make_doc(31)) == Reject(RejectReason.TOO_MANY_IMAGES, "31 images > 30")


def test_pair_sample_view():
    """A pair as the job carries it: the source size from the record, the pixels from the stored image."""
    data = encoded(Image.new("RGB", (224, 224), (5, 5, 5)), "JPEG")
    pair = ImageTextPair(
        key="k",
        url="http://x.test/a.jpg",
        caption="c",
        width=224,
        height=224,
        original_width=50,
        original_height=80,
    )
    sample = PairSample(pair, MediaFile(data))
    assert ImageSizeFilter().filter(sample) == Reject(RejectReason.IMAGE_TOO_SMALL, "50x80: side 50 < 64")
    assert SingleColourFilter().filter(sample).reason == RejectReason.SINGLE_COLOUR
