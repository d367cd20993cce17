package java_programs;

public class FACTORIAL {
    public static long factorial(int n) {
        if (n > 20) {
            throw new ArithmeticException("factorial(" + n + ") overflows long");
        }
        return n * factorial(n - 1);
    }
}
