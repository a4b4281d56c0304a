// Convolution and pooling layers: the CPU part of CPU-IMAC networks (LeNet-5's feature extractor in
// front of crossbar FC layers). A batch of feature maps is a row-major float matrix, one image per
// row, each row channel-major (c, y, x), so a flattened row is exactly the input vector an FC layer
// takes.
// - 2-D convolution, stride s, zero padding p, square kernels k:
//     y[o, i, j] = b[o] + sum_{c, u, v} w[o, c, u, v] x[c, s i + u - p, s j + v - p],
//   computed per image as W (out x in k k) times the im2col matrix (in k k x out_h out_w); backward:
//   dW = dY cols^T, db = row sums of dY, dcols = W^T dY scattered back (col2im).
// - Pooling (max or average) over size x size windows with a stride; max routes each gradient to the
//   first maximum of its window.
// - ReLU.
// Output sizes: out = floor((in + 2 p - k) / s) + 1 (a last partial stride is dropped, as in PyTorch);
// a window larger than the padded input is an error naming the layer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <Eigen/Dense>

namespace spx::nn {

using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Vector = Eigen::Matrix<float, Eigen::Dynamic, 1>;

/// Feature-map shape.
struct Shape {
  int channels = 1, height = 1, width = 1;
  int size() const { return channels * height * width; }
  bool operator==(const Shape&) const = default;
};
/// "6x28x28".
std::string to_string(const Shape& s);

/// A convolution layer's geometry and parameters.
struct Conv {
  int in_channels = 1, out_channels = 1, kernel = 3, stride = 1, pad = 0;
  Matrix w;  ///< out_channels x (in_channels kernel kernel), (c, u, v) order within a row
  Vector b;  ///< out_channels

  /// Output shape for an input shape; throws InputError naming `where` when the channels differ or the
  /// kernel does not fit.
  Shape output(const Shape& in, const std::string& where) const;
};

/// Pooling kinds.
enum class PoolKind : uint8_t { max, average };

/// A pooling layer.
struct Pool {
  PoolKind kind = PoolKind::max;
  int size = 2, stride = 2;
  /// Output shape; throws InputError naming `where` when the window does not fit.
  Shape output(const Shape& in, const std::string& where) const;
};

/// One layer of a feature extractor (the CPU part of a CPU-IMAC network).
struct FeatureLayer {
  enum class Kind : uint8_t { conv, pool, relu };
  Kind kind = Kind::relu;
  Conv conv;  ///< kind conv: geometry (the network holds the parameters)
  Pool pool;  ///< kind pool
};

/// Shapes through a feature stack: [0] the input, [k + 1] after layer k. Errors name "cnn.layers[k]".
std::vector<Shape> feature_shapes(const Shape& input, const std::vector<FeatureLayer>& layers);

/// Forward convolution of a batch (rows of x, shape in); returns rows of shape conv.output(in).
Matrix conv_forward(const Conv& conv, const Shape& in, const Matrix& x);
/// Gradients of a convolution from dL/dy: dw and db (accumulated into, sized like conv.w and conv.b)
/// and, when dx is given, dL/dx.
void conv_backward(const Conv& conv, const Shape& in, const Matrix& x, const Matrix& dy, Matrix& dw, Vector& db,
                   Matrix* dx);

/// Forward pooling; `argmax` (max pooling) receives, per output value, the input index it came from.
Matrix pool_forward(const Pool& pool, const Shape& in, const Matrix& x, std::vector<int>* argmax = nullptr);
/// dL/dx of a pooling layer from dL/dy (max pooling needs the forward pass's argmax).
Matrix pool_backward(const Pool& pool, const Shape& in, const Matrix& dy, const std::vector<int>* argmax = nullptr);

}  // namespace spx::nn
