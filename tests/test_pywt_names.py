"""PyWavelets' mode names: the aliases ("zero", "periodic"), the name whose meaning
differs ("constant" is our "edge"), the one refused ("periodization").

Oracle: ``pywt.pad``. The table below is the one printed in docs/usage.rst.
"""

import numpy as np
import pytest
import pywt

import cconv1d as cc

# PyWavelets' name -> ours (docs/usage.rst, "PyWavelets' mode names")
PYWT_TO_OURS = {
    "zero": "zero",              # alias of "zeros"
    "constant": "edge",          # pywt's constant repeats the end sample
    "symmetric": "symmetric",
    "periodic": "periodic",      # alias of "wrap"
    "smooth": "smooth",
    "reflect": "reflect",
    "antisymmetric": "antisymmetric",
    "antireflect": "antireflect",
}


@pytest.mark.parametrize("pywt_name", sorted(PYWT_TO_OURS))
@pytest.mark.parametrize("widths", [(2, 6), (0, 3), (9, 1)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_table_matches_pywt_pad(pywt_name, widths, dtype):
    x = np.random.default_rng(0).standard_normal((3, 5)).astype(dtype)
    # row by row: pywt.pad's N-D path breaks for some modes when an axis has width 0
    expected = np.stack([pywt.pad(row, widths, pywt_name) for row in x.astype(np.float64)])
    got = cc.pad(x, widths, PYWT_TO_OURS[pywt_name])
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


def test_every_pywt_mode_is_in_the_table_or_refused():
    assert set(pywt.Modes.modes) == set(PYWT_TO_OURS) | {"periodization"}


@pytest.mark.parametrize("alias, canonical", [("zero", "zeros"), ("periodic", "wrap")])
def test_aliases_in_conv1d_and_pad_backward(alias, canonical):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 11))
    w = rng.standard_normal((4, 3, 5))
    np.testing.assert_array_equal(cc.conv1d(x, w, padding="same", padding_mode=alias),
                                  cc.conv1d(x, w, padding="same", padding_mode=canonical))
    g = rng.standard_normal((2, 3, 17))
    np.testing.assert_array_equal(cc.pad_backward(g, 11, 3, alias),
                                  cc.pad_backward(g, 11, 3, canonical))


@pytest.mark.parametrize("call", [
    lambda: cc.pad(np.ones(5), 2, "periodization"),
    lambda: cc.conv1d(np.ones((1, 5)), np.ones((1, 1, 3)), padding=1,
                      padding_mode="periodization"),
    lambda: cc.Conv1d(1, 1, 3, padding_mode="periodization"),
])
def test_periodization_refused_with_reason(call):
    with pytest.raises(ValueError, match=r"'periodization' is refused: .*DWT.*'periodic'"):
        call()


def test_unknown_mode_lists_the_pywt_aliases():
    with pytest.raises(ValueError, match=r"'zero'.*'periodic'.*got 'nope'"):
        cc.pad(np.ones(5), 2, "nope")


def test_zero_forces_value_zero_like_zeros():
    np.testing.assert_array_equal(cc.pad(np.ones(3), 1, "zero", value=5.0),
                                  cc.pad(np.ones(3), 1, "zeros", value=5.0))
    x = np.ones((1, 2, 6))
    w = np.ones((1, 2, 3))
    np.testing.assert_array_equal(cc.conv1d(x, w, padding=2, padding_mode="zero", pad_value=5.0),
                                  cc.conv1d(x, w, padding=2, padding_mode="zeros"))
