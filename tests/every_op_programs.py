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


def nested_chain(depth: int) -> str:
    """y = sin(exp(sin(exp(...x...)))): `depth` nested calls, sin and exp in turn (depth + 1 nodes)."""
    text = "x"
    for i in range(depth):
        text = f"{'exp' if i % 2 else 'sin'}({text})"
    return f"y = {text}"


def product_of(factors: int) -> str:
    """y = x1*x2*...*xk: k inputs, k - 1 products (2k - 1 nodes)."""
    return "y = " + "*".join(f"x{i}" for i in range(1, factors + 1))


def long_program(statements: int) -> str:
    """A program of `statements` named statements, three nodes each (an op of a previous name,
    a product, a sum), reading four inputs: about 3 * statements nodes."""
    lines = ["t0 = x"]
    for i in range(1, statements):
        f = ("sin", "exp", "tanh")[i % 3]
        lines.append(f"t{i} = {f}(t{i - 1})*{'abc'[i % 3]} + t{i - 1}")
    return "\n".join([*lines, f"y = t{statements - 1}*c"])
