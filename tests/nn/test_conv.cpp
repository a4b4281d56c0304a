// Convolution and pooling: a hand-computed convolution, the im2col forward pass against direct loops,
// gradients against finite differences, pooling by hand, and LeNet-5's shapes.
#include <doctest/doctest.h>

#include <cmath>

#include "devices/error.hpp"
#include "devices/random.hpp"
#include "nn/conv.hpp"

using namespace spx;
using namespace spx::nn;

namespace {

Matrix random_matrix(Eigen::Index rows, Eigen::Index cols, uint64_t seed) {
  devices::CellRng rng(seed, 0, 0, 0, devices::Purpose::other);
  Matrix m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = static_cast<float>(2 * rng.uniform() - 1);
  return m;
}

Conv random_conv(int in, int out, int k, int stride, int pad, uint64_t seed) {
  Conv c;
  c.in_channels = in;
  c.out_channels = out;
  c.kernel = k;
  c.stride = stride;
  c.pad = pad;
  c.w = random_matrix(out, static_cast<Eigen::Index>(in) * k * k, seed);
  c.b = random_matrix(out, 1, seed + 1).col(0);
  return c;
}

/// The convolution by its definition, loop by loop.
float direct(const Conv& c, const Shape& in, const float* x, int o, int i, int j) {
  double s = c.b(o);
  for (int ch = 0; ch < in.channels; ++ch)
    for (int u = 0; u < c.kernel; ++u)
      for (int v = 0; v < c.kernel; ++v) {
        const int y = i * c.stride + u - c.pad, xx = j * c.stride + v - c.pad;
        if (y < 0 || y >= in.height || xx < 0 || xx >= in.width) continue;
        s += static_cast<double>(c.w(o, (ch * c.kernel + u) * c.kernel + v)) * x[(ch * in.height + y) * in.width + xx];
      }
  return static_cast<float>(s);
}

}  // namespace

TEST_CASE("convolution: a hand-computed 3x3 input with a 2x2 kernel of ones") {
  Conv c;
  c.kernel = 2;
  c.w = Matrix::Ones(1, 4);
  c.b = Vector::Constant(1, 0.5f);
  Matrix x(1, 9);
  x << 1, 2, 3, 4, 5, 6, 7, 8, 9;
  Matrix y = conv_forward(c, {1, 3, 3}, x);
  REQUIRE(y.cols() == 4);
  CHECK(y(0, 0) == 12.5f);
  CHECK(y(0, 1) == 16.5f);
  CHECK(y(0, 2) == 24.5f);
  CHECK(y(0, 3) == 28.5f);
}

TEST_CASE("convolution: im2col forward equals the definition (padding, stride, channels)") {
  struct Geometry {
    int k, stride, pad;
  };
  for (const Geometry g : {Geometry{3, 1, 1}, Geometry{3, 2, 0}, Geometry{5, 1, 2}, Geometry{2, 2, 1}}) {
    const int k = g.k, stride = g.stride, pad = g.pad;
    CAPTURE(k);
    CAPTURE(stride);
    CAPTURE(pad);
    const Shape in{2, 7, 7};
    Conv c = random_conv(2, 3, k, stride, pad, 5);
    Matrix x = random_matrix(3, in.size(), 9);
    const Shape out = c.output(in, "conv");
    Matrix y = conv_forward(c, in, x);
    REQUIRE(y.cols() == out.size());
    for (Eigen::Index r = 0; r < x.rows(); ++r)
      for (int o = 0; o < out.channels; ++o)
        for (int i = 0; i < out.height; ++i)
          for (int j = 0; j < out.width; ++j)
            CHECK(y(r, (o * out.height + i) * out.width + j) == doctest::Approx(direct(c, in, x.row(r).data(), o, i, j)).epsilon(1e-5));
  }
}

TEST_CASE("convolution: gradients of weights, biases and inputs match finite differences") {
  const Shape in{2, 6, 5};
  Conv c = random_conv(2, 3, 3, 1, 1, 21);
  Matrix x = random_matrix(2, in.size(), 22);
  const Shape out = c.output(in, "conv");
  const Matrix R = random_matrix(2, out.size(), 23);  // L = sum(y .* R), so dL/dy = R
  auto loss = [&](const Conv& cc, const Matrix& xx) { return static_cast<double>((conv_forward(cc, in, xx).array() * R.array()).sum()); };
  Matrix dw = Matrix::Zero(c.w.rows(), c.w.cols()), dx;
  Vector db = Vector::Zero(c.b.size());
  conv_backward(c, in, x, R, dw, db, &dx);
  const float h = 1e-2f;
  double worst = 0;
  for (Eigen::Index i = 0; i < c.w.size(); ++i) {
    Conv p = c, m = c;
    p.w.data()[i] += h;
    m.w.data()[i] -= h;
    worst = std::max(worst, std::fabs((loss(p, x) - loss(m, x)) / (2 * h) - dw.data()[i]));
  }
  for (Eigen::Index i = 0; i < c.b.size(); ++i) {
    Conv p = c, m = c;
    p.b(i) += h;
    m.b(i) -= h;
    worst = std::max(worst, std::fabs((loss(p, x) - loss(m, x)) / (2 * h) - db(i)));
  }
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    Matrix p = x, m = x;
    p.data()[i] += h;
    m.data()[i] -= h;
    worst = std::max(worst, std::fabs((loss(c, p) - loss(c, m)) / (2 * h) - dx.data()[i]));
  }
  CHECK(worst < 2e-3);  // the loss is linear in each variable: only float rounding remains
}

TEST_CASE("pooling: max and average by hand, gradients routed to the window") {
  Matrix x(1, 16);
  x << 1, 2, 5, 6, 3, 4, 7, 8, 9, 10, 13, 14, 11, 12, 15, 16;  // 1x4x4
  const Shape in{1, 4, 4};
  std::vector<int> at;
  Matrix ymax = pool_forward(Pool{PoolKind::max, 2, 2}, in, x, &at);
  Matrix yavg = pool_forward(Pool{PoolKind::average, 2, 2}, in, x);
  CHECK(ymax(0, 0) == 4);
  CHECK(ymax(0, 1) == 8);
  CHECK(ymax(0, 2) == 12);
  CHECK(ymax(0, 3) == 16);
  CHECK(yavg(0, 0) == 2.5f);
  CHECK(yavg(0, 3) == 14.5f);
  Matrix g(1, 4);
  g << 1, 2, 3, 4;
  Matrix dmax = pool_backward(Pool{PoolKind::max, 2, 2}, in, g, &at);
  CHECK(dmax(0, 5) == 1);   // the 4 at (1, 1)
  CHECK(dmax(0, 15) == 4);  // the 16 at (3, 3)
  CHECK(dmax.sum() == 10);
  Matrix davg = pool_backward(Pool{PoolKind::average, 2, 2}, in, g);
  CHECK(davg(0, 0) == 0.25f);
  CHECK(davg(0, 15) == 1.0f);
}

TEST_CASE("LeNet-5's shapes chain to the 400 inputs of the IMAC MLP; bad shapes name the layer") {
  Shape s{1, 28, 28};
  const Conv c1{1, 6, 5, 1, 2, {}, {}};  // in, out, kernel, stride, pad
  s = c1.output(s, "conv1");
  CHECK(s == Shape{6, 28, 28});
  s = Pool{}.output(s, "pool1");
  CHECK(s == Shape{6, 14, 14});
  const Conv c2{6, 16, 5, 1, 0, {}, {}};
  s = c2.output(s, "conv2");
  CHECK(s == Shape{16, 10, 10});
  s = Pool{}.output(s, "pool2");
  CHECK(s.size() == 400);
  CHECK_THROWS_WITH(c2.output(Shape{1, 28, 28}, "conv2"), "conv2: expects 6 input channels, the previous layer gives 1 (1x28x28)");
  CHECK_THROWS_WITH(c2.output(Shape{6, 3, 3}, "conv2"), "conv2: a 5x5 kernel with padding 0 does not fit a 6x3x3 input");
  CHECK((Pool{PoolKind::max, 2, 2}.output(Shape{16, 5, 5}, "pool3")) == Shape{16, 2, 2});  // the odd row is dropped
  CHECK_THROWS_WITH((Pool{PoolKind::max, 2, 2}.output(Shape{16, 1, 1}, "pool3")), "pool3: a 2x2 window does not fit a 16x1x1 input");
}
