// Convolution and pooling (conv.hpp).
#include "nn/conv.hpp"

#include <fmt/format.h>

#include <limits>
#include <stdexcept>

#include "devices/error.hpp"

namespace spx::nn {

std::string to_string(const Shape& s) { return fmt::format("{}x{}x{}", s.channels, s.height, s.width); }

namespace {

/// floor((in + 2 pad - window) / stride) + 1 (the last partial stride is dropped, as in PyTorch), or 0
/// when the window does not fit.
int out_size(int in, int window, int stride, int pad) {
  const int span = in + 2 * pad - window;
  if (span < 0 || stride < 1) return 0;
  return span / stride + 1;
}

/// im2col of one image: (in_channels k k) x (out_h out_w).
void im2col(const Conv& c, const Shape& in, const Shape& out, const float* img, Matrix& cols) {
  const int k = c.kernel;
  cols.resize(static_cast<Eigen::Index>(in.channels) * k * k, static_cast<Eigen::Index>(out.height) * out.width);
  for (int ch = 0; ch < in.channels; ++ch)
    for (int u = 0; u < k; ++u)
      for (int v = 0; v < k; ++v) {
        float* row = cols.data() + ((static_cast<Eigen::Index>(ch) * k + u) * k + v) * cols.cols();
        for (int i = 0; i < out.height; ++i) {
          const int y = i * c.stride + u - c.pad;
          for (int j = 0; j < out.width; ++j) {
            const int x = j * c.stride + v - c.pad;
            const bool inside = y >= 0 && y < in.height && x >= 0 && x < in.width;
            row[i * out.width + j] = inside ? img[(static_cast<size_t>(ch) * in.height + y) * in.width + x] : 0.0f;
          }
        }
      }
}

/// col2im of one image: adds the columns' gradients back onto the input positions.
void col2im(const Conv& c, const Shape& in, const Shape& out, const Matrix& cols, float* img) {
  const int k = c.kernel;
  for (int ch = 0; ch < in.channels; ++ch)
    for (int u = 0; u < k; ++u)
      for (int v = 0; v < k; ++v) {
        const float* row = cols.data() + ((static_cast<Eigen::Index>(ch) * k + u) * k + v) * cols.cols();
        for (int i = 0; i < out.height; ++i) {
          const int y = i * c.stride + u - c.pad;
          if (y < 0 || y >= in.height) continue;
          for (int j = 0; j < out.width; ++j) {
            const int x = j * c.stride + v - c.pad;
            if (x >= 0 && x < in.width) img[(static_cast<size_t>(ch) * in.height + y) * in.width + x] += row[i * out.width + j];
          }
        }
      }
}

}  // namespace

Shape Conv::output(const Shape& in, const std::string& where) const {
  if (in.channels != in_channels)
    fail("{}: expects {} input channels, the previous layer gives {} ({})", where, in_channels, in.channels, to_string(in));
  const int h = out_size(in.height, kernel, stride, pad), w2 = out_size(in.width, kernel, stride, pad);
  if (h < 1 || w2 < 1)
    fail("{}: a {}x{} kernel with padding {} does not fit a {} input", where, kernel, kernel, pad, to_string(in));
  return {out_channels, h, w2};
}

Shape Pool::output(const Shape& in, const std::string& where) const {
  const int h = out_size(in.height, size, stride, 0), w = out_size(in.width, size, stride, 0);
  if (h < 1 || w < 1) fail("{}: a {}x{} window does not fit a {} input", where, size, size, to_string(in));
  return {in.channels, h, w};
}

std::vector<Shape> feature_shapes(const Shape& input, const std::vector<FeatureLayer>& layers) {
  std::vector<Shape> shapes{input};
  for (size_t k = 0; k < layers.size(); ++k) {
    const std::string where = fmt::format("cnn.layers[{}]", k);
    const Shape& in = shapes.back();
    switch (layers[k].kind) {
      case FeatureLayer::Kind::conv: shapes.push_back(layers[k].conv.output(in, where)); break;
      case FeatureLayer::Kind::pool: shapes.push_back(layers[k].pool.output(in, where)); break;
      case FeatureLayer::Kind::relu: shapes.push_back(in); break;
    }
  }
  return shapes;
}

Matrix conv_forward(const Conv& c, const Shape& in, const Matrix& x) {
  const Shape out = c.output(in, "conv");
  Matrix y(x.rows(), out.size());
  Matrix cols;
  for (Eigen::Index r = 0; r < x.rows(); ++r) {
    im2col(c, in, out, x.row(r).data(), cols);
    Eigen::Map<Matrix> yr(y.row(r).data(), out.channels, static_cast<Eigen::Index>(out.height) * out.width);
    yr.noalias() = c.w * cols;
    yr.colwise() += c.b;
  }
  return y;
}

void conv_backward(const Conv& c, const Shape& in, const Matrix& x, const Matrix& dy, Matrix& dw, Vector& db, Matrix* dx) {
  const Shape out = c.output(in, "conv");
  if (dx) dx->setZero(x.rows(), in.size());
  Matrix cols, dcols;
  for (Eigen::Index r = 0; r < x.rows(); ++r) {
    im2col(c, in, out, x.row(r).data(), cols);
    Eigen::Map<const Matrix> g(dy.row(r).data(), out.channels, static_cast<Eigen::Index>(out.height) * out.width);
    dw.noalias() += g * cols.transpose();
    db += g.rowwise().sum();
    if (dx) {
      dcols.noalias() = c.w.transpose() * g;
      col2im(c, in, out, dcols, dx->row(r).data());
    }
  }
}

Matrix pool_forward(const Pool& p, const Shape& in, const Matrix& x, std::vector<int>* argmax) {
  const Shape out = p.output(in, "pool");
  Matrix y(x.rows(), out.size());
  if (argmax) argmax->assign(static_cast<size_t>(y.size()), 0);
  const float inv = 1.0f / static_cast<float>(p.size * p.size);
  for (Eigen::Index r = 0; r < x.rows(); ++r) {
    const float* img = x.row(r).data();
    for (int ch = 0; ch < in.channels; ++ch)
      for (int i = 0; i < out.height; ++i)
        for (int j = 0; j < out.width; ++j) {
          float best = -std::numeric_limits<float>::infinity(), sum = 0;
          int at = 0;
          for (int u = 0; u < p.size; ++u)
            for (int v = 0; v < p.size; ++v) {
              const int idx = (ch * in.height + i * p.stride + u) * in.width + j * p.stride + v;
              sum += img[idx];
              if (img[idx] > best) {
                best = img[idx];
                at = idx;
              }
            }
          const Eigen::Index o = (static_cast<Eigen::Index>(ch) * out.height + i) * out.width + j;
          y(r, o) = p.kind == PoolKind::max ? best : sum * inv;
          if (argmax) (*argmax)[static_cast<size_t>(r * y.cols() + o)] = at;
        }
  }
  return y;
}

Matrix pool_backward(const Pool& p, const Shape& in, const Matrix& dy, const std::vector<int>* argmax) {
  const Shape out = p.output(in, "pool");
  if (p.kind == PoolKind::max && !argmax) throw std::invalid_argument("pool_backward: max pooling needs the forward argmax");
  Matrix dx = Matrix::Zero(dy.rows(), in.size());
  const float inv = 1.0f / static_cast<float>(p.size * p.size);
  for (Eigen::Index r = 0; r < dy.rows(); ++r)
    for (int ch = 0; ch < in.channels; ++ch)
      for (int i = 0; i < out.height; ++i)
        for (int j = 0; j < out.width; ++j) {
          const Eigen::Index o = (static_cast<Eigen::Index>(ch) * out.height + i) * out.width + j;
          const float g = dy(r, o);
          if (p.kind == PoolKind::max) {
            dx(r, (*argmax)[static_cast<size_t>(r * dy.cols() + o)]) += g;
            continue;
          }
          for (int u = 0; u < p.size; ++u)
            for (int v = 0; v < p.size; ++v) dx(r, (ch * in.height + i * p.stride + u) * in.width + j * p.stride + v) += g * inv;
        }
  return dx;
}

}  // namespace spx::nn
