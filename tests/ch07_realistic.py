"""Realistic mistakes for chapter 7's exercises, the kinds learners make (wrong axes, padding on
one side or on every axis, a missing crop, a precedence slip, in-place edits, ties, a shape
taken from dout instead of x), written beyond the checkers' planted mistakes; ``EXPECT`` says
how the checker must answer each: "named" (the hint names the mistake) or "located" (the
sentence says which line raised, or which output is wrong and for which cases)."""
import numpy as np


def _conv_loops(x, W, b, stride, pad, size=None, padded=True, step=None):
    f, F = W.shape[0], W.shape[3]
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0))) if padded else x
    H, Wd = x.shape[1:3]
    Ho, Wo = size(H, Wd, f, stride, pad) if size else ((H + 2 * pad - f) // stride + 1,
                                                      (Wd + 2 * pad - f) // stride + 1)
    step = stride if step is None else step
    out = np.zeros((x.shape[0], Ho, Wo, F))
    for n in range(x.shape[0]):
        for i in range(Ho):
            for j in range(Wo):
                win = xp[n, i * step:i * step + f, j * step:j * step + f]
                for k in range(F):
                    out[n, i, j, k] = np.sum(win * W[..., k]) + b[k]
    return out


def cf_no_stride_in_size(x, W, b, stride, pad):
    return _conv_loops(x, W, b, stride, pad, size=lambda H, Wd, f, s, p: (H + 2 * p - f + 1,
                                                                         Wd + 2 * p - f + 1))


def cf_no_pad(x, W, b, stride, pad):
    return _conv_loops(x, W, b, stride, pad, padded=False,
                       size=lambda H, Wd, f, s, p: ((H - f) // s + 1, (Wd - f) // s + 1))


def cf_precedence(x, W, b, stride, pad):
    return _conv_loops(x, W, b, stride, pad, size=lambda H, Wd, f, s, p: (
        H - f + 2 * p // s + 1, Wd - f + 2 * p // s + 1))


def cf_bias_vector(x, W, b, stride, pad):     # out[n, i, j, k] = ... + b (the whole vector)
    f = W.shape[0]
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    Ho, Wo = (x.shape[1] + 2 * pad - f) // stride + 1, (x.shape[2] + 2 * pad - f) // stride + 1
    out = np.zeros((x.shape[0], Ho, Wo, W.shape[3]))
    for n in range(x.shape[0]):
        for i in range(Ho):
            for j in range(Wo):
                win = xp[n, i * stride:i * stride + f, j * stride:j * stride + f]
                for k in range(W.shape[3]):
                    out[n, i, j, k] = np.sum(win * W[..., k] + b)
    return out


def _conv_back(dout, x, W, stride, pad, db_mean=False, keepdims=False, crop="ok",
               dW_from_x=False):
    f = W.shape[0]
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    src = np.pad(x, ((0, 0), (0, 2 * pad), (0, 2 * pad), (0, 0))) if dW_from_x else xp
    dxp, dW = np.zeros_like(xp), np.zeros_like(W)
    N, Ho, Wo, F = dout.shape
    for n in range(N):
        for i in range(Ho):
            for j in range(Wo):
                r, c = i * stride, j * stride
                for k in range(F):
                    dxp[n, r:r + f, c:c + f] += dout[n, i, j, k] * W[..., k]
                    dW[..., k] += dout[n, i, j, k] * src[n, r:r + f, c:c + f]
    H, Wd = x.shape[1:3]
    dx = {"ok": dxp[:, pad:pad + H, pad:pad + Wd], "none": dxp,
          "negative": dxp[:, pad:-pad, pad:-pad]}[crop]
    db = dout.mean(axis=(0, 1, 2)) if db_mean else dout.sum(axis=(0, 1, 2), keepdims=keepdims)
    return dx, dW, db


def cb_db_mean(dout, x, W, stride, pad):
    return _conv_back(dout, x, W, stride, pad, db_mean=True)


def cb_db_keepdims(dout, x, W, stride, pad):
    return _conv_back(dout, x, W, stride, pad, keepdims=True)


def cb_no_crop(dout, x, W, stride, pad):
    return _conv_back(dout, x, W, stride, pad, crop="none")


def cb_negative_slice(dout, x, W, stride, pad):
    return _conv_back(dout, x, W, stride, pad, crop="negative")


def cb_dW_from_unpadded(dout, x, W, stride, pad):
    return _conv_back(dout, x, W, stride, pad, dW_from_x=True)


def mpf_floor_div(x, f, stride):              # Ho = H // f: right only when stride == f
    N, H, W, C = x.shape
    Ho, Wo = H // f, W // f
    out = np.zeros((N, Ho, Wo, C))
    for i in range(Ho):
        for j in range(Wo):
            out[:, i, j] = x[:, i * stride:i * stride + f, j * stride:j * stride + f].max(axis=(1, 2))
    return out


def mpf_window_at_f(x, f, stride):            # window starts at i * f
    N, H, W, C = x.shape
    Ho, Wo = (H - f) // stride + 1, (W - f) // stride + 1
    out = np.zeros((N, Ho, Wo, C))
    for i in range(Ho):
        for j in range(Wo):
            win = x[:, i * f:i * f + f, j * f:j * f + f]
            out[:, i, j] = win.max(axis=(1, 2)) if win.shape[1] == f and win.shape[2] == f else 0
    return out


def mpf_wrong_axis(x, f, stride):             # forgets the batch axis
    N, H, W, C = x.shape
    Ho, Wo = (H - f) // stride + 1, (W - f) // stride + 1
    out = np.zeros((N, Ho, Wo, C))
    for i in range(Ho):
        for j in range(Wo):
            out[:, i, j] = x[:, i * stride:i * stride + f, j * stride:j * stride + f].max(axis=(0, 1))
    return out


def mpb_in_place(dout, x, f, stride):         # builds the mask by editing x's windows
    dx = np.zeros_like(x)
    for i in range(dout.shape[1]):
        for j in range(dout.shape[2]):
            sl = (slice(None), slice(i * stride, i * stride + f), slice(j * stride, j * stride + f))
            win = x[sl]
            win -= win.max(axis=(1, 2), keepdims=True)          # in place: changes x
            flat = win.reshape(win.shape[0], -1, win.shape[-1])
            first = (flat == 0).argmax(axis=1)                  # the first maximum, as Keras
            mask = np.zeros_like(flat)
            np.put_along_axis(mask, first[:, None, :], 1.0, axis=1)
            dx[sl] += mask.reshape(win.shape) * dout[:, i, j][:, None, None, :]
    return dx


def mpb_window_at_f(dout, x, f, stride):
    dx = np.zeros_like(x)
    for i in range(dout.shape[1]):
        for j in range(dout.shape[2]):
            sl = (slice(None), slice(i * f, i * f + f), slice(j * f, j * f + f))
            win = x[sl]
            if win.shape[1:3] != (f, f):
                continue
            dx[sl] += (win == win.max(axis=(1, 2), keepdims=True)) * dout[:, i, j][:, None, None, :]
    return dx


def mpb_mask_ties(dout, x, f, stride):        # the max mask: every tied maximum gets it
    dx = np.zeros_like(x)
    for i in range(dout.shape[1]):
        for j in range(dout.shape[2]):
            sl = (slice(None), slice(i * stride, i * stride + f), slice(j * stride, j * stride + f))
            win = x[sl]
            dx[sl] += (win == win.max(axis=(1, 2), keepdims=True)) * dout[:, i, j][:, None, None, :]
    return dx


def mpb_shape_of_dout(dout, x, f, stride):
    return np.repeat(np.repeat(dout, 1, axis=1), 1, axis=2)


def cf_pad_one_side(x, W, b, stride, pad):     # pads (0, pad), as np.pad's "after" only
    xp = np.pad(x, ((0, 0), (0, pad), (0, pad), (0, 0)))
    return _conv_loops(xp, W, b, stride, 0, size=lambda H, Wd, f, s, p: (
        (H + pad - f) // s + 1, (Wd + pad - f) // s + 1))


def cf_pad_all_axes(x, W, b, stride, pad):     # np.pad(x, pad) pads N and C too
    f, F = W.shape[0], W.shape[3]
    xp = np.pad(x, pad)
    N, Ho, Wo = x.shape[0], *((n + 2 * pad - f) // stride + 1 for n in x.shape[1:3])
    out = np.zeros((N, Ho, Wo, F))
    for n in range(N):
        for i in range(Ho):
            for j in range(Wo):
                win = xp[n, i * stride:i * stride + f, j * stride:j * stride + f]
                for k in range(F):
                    out[n, i, j, k] = np.sum(win * W[..., k]) + b[k]
    return out


def _avg_back(dout, x_shape, f, stride, transpose=False, channel_mean=False, in_place=False,
              shape_from_dout=False):
    if in_place:
        dout /= f * f                              # the caller's dout changes
    share = dout if in_place else dout / f ** 2
    if shape_from_dout:                            # the size the windows reach, not x's
        N, Ho, Wo, C = dout.shape
        x_shape = (N, (Ho - 1) * stride + f, (Wo - 1) * stride + f, C)
    dx = np.zeros(x_shape)
    for i in range(dout.shape[1]):
        for j in range(dout.shape[2]):
            r, c = (j, i) if transpose else (i, j)
            g = share[:, i, j].mean(axis=-1)[:, None] if channel_mean else share[:, i, j]
            dx[:, r * stride:r * stride + f, c * stride:c * stride + f] += g[:, None, None, :]
    return dx


def apb_in_place(dout, x_shape, f, stride):
    return _avg_back(dout, x_shape, f, stride, in_place=True)


def apb_shape_from_dout(dout, x_shape, f, stride):
    return _avg_back(dout, x_shape, f, stride, shape_from_dout=True)


def apb_rows_for_columns(dout, x_shape, f, stride):   # window (i, j) placed at (j, i)
    return _avg_back(dout, x_shape, f, stride, transpose=True)


def apb_channels_mixed(dout, x_shape, f, stride):     # one gradient for every channel
    return _avg_back(dout, x_shape, f, stride, channel_mean=True)


def apb_repeat(dout, x_shape, f, stride):              # np.repeat: blocks at (i f, j f)
    up = np.repeat(np.repeat(dout, f, axis=1), f, axis=2) / f ** 2
    dx = np.zeros(x_shape)
    h, w = min(up.shape[1], x_shape[1]), min(up.shape[2], x_shape[2])
    dx[:, :h, :w] = up[:, :h, :w]
    return dx


# the checker's answer to each: ("named", a phrase of the hint that names the mistake) or
# ("located", a phrase saying where: the output or the line)
EXPECT = {
    cf_no_stride_in_size: ("located", "line"), cf_no_pad: ("named", "pad x first"),
    cf_precedence: ("located", "line"), cf_bias_vector: ("located", "line"),
    cb_db_mean: ("named", "do not average"), cb_db_keepdims: ("named", "db has shape"),
    cb_no_crop: ("named", "cut the padding off dx"), cb_negative_slice: ("named", "is empty"),
    cb_dW_from_unpadded: ("named", "windows of the padded input"),
    mpf_floor_div: ("named", "not H // f"), mpf_window_at_f: ("named", "not (i * f, j * f)"),
    mpf_wrong_axis: ("named", "not over the batch"), mpb_in_place: ("named", "changed its argument `x`"),
    mpb_window_at_f: ("named", "not (i * f, j * f)"), mpb_shape_of_dout: ("named", "shaped like x"),
    mpb_mask_ties: ("named", "only the first"),
    cf_pad_one_side: ("located", "wrong for stride 2, pad 1"), cf_pad_all_axes: ("located", "line"),
    apb_in_place: ("named", "changed its argument `dout`"),
    apb_shape_from_dout: ("named", "has shape"), apb_repeat: ("named", "not (i * f, j * f)"),
    apb_rows_for_columns: ("located", "entries differ"), apb_channels_mixed: ("located", "correct for"),
}

REALISTIC = {
    "check_conv_forward": [cf_no_stride_in_size, cf_no_pad, cf_precedence, cf_bias_vector,
                           cf_pad_one_side, cf_pad_all_axes],
    "check_conv_backward": [cb_db_mean, cb_db_keepdims, cb_no_crop, cb_negative_slice,
                            cb_dW_from_unpadded],
    "check_max_pool_forward": [mpf_floor_div, mpf_window_at_f, mpf_wrong_axis],
    "check_max_pool_backward": [mpb_in_place, mpb_window_at_f, mpb_mask_ties, mpb_shape_of_dout],
    "check_avg_pool_backward": [apb_in_place, apb_shape_from_dout, apb_repeat,
                                apb_rows_for_columns, apb_channels_mixed],
}


