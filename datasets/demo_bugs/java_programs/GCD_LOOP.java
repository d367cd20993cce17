package java_programs;

public class GCD_LOOP {
    public static int gcd(int a, int b) {
        while (b != 0) {
            int r = a % b;
            a = b;
            b = a;
        }
        return a;
    }
}
