"""Programs that together use every op of the op table, for the tests of diff's program and
its code targets (each test asserts the coverage)."""

# Inputs drawn from [0.2, 1.8]: inside every op's domain as these programs use them.
PROGRAMS = [
    "y = x*sin(x) + x/(1 + x) - x**3",
    "L = exp(-a*b) + log(a + b) + sqrt(a*b)",
    "y = tan(a/2) + asin(a/3) + acos(b/3) + atan(a - b)",
    "y = sinh(a) * cosh(b) + sech(a - b) + tanh(a*b)",
    "y = sigmoid(a - b) + softplus(a*b) + relu(a - 1)",
    "y = min(a, b) * max(a, 2*b) + abs(a - b)",
    "y = erf(a) + erfc(b) + log10(a) + log2(b)",
    "y = log1p(a*b) + expm1(-a) + cbrt(a - b)",
    "y = atan2(a, b) * hypot(a, b)",
    "y = floor(a)*b + ceil(b)*a + round(a*b) + sign(a - b)*b",
    "y = where(a < b, a*a, b*b) + where(a >= b, sin(a), cos(b))",
    "y = (a <= b)*a + (a > b)*b + (a == b) + (a != b)*a*b",
    "t = a*b\nu = t + sin(t)\ny = u*u/t",
    "y = a**b + b**2 - (-a)",
    "c = 2.5\ny = c*a*a + b/c",
    "z = a\ny = z*pi + tau*b",
    "L = tanh(w1*x1 + w2*x2 + b) * c",
    "y = exp(sin(a)*cos(b)) * sin(a)*cos(b) + (a*b)**2",
    "y = softplus(-a*b) * sigmoid(b - a) + relu(b - a)*sech(a)",
    "lambda = 1.5\ny = lambda*int + e*sin(int) + np*math - def/e",
    "y = a/b/b + log(a)/log(b) + sqrt(a + b)*cbrt(a*b)",
]
