package java_testcases.junit;

import org.junit.Assert;
import org.junit.Test;

import java_programs.FACTORIAL;

public class FACTORIAL_TEST {
    @Test
    public void test1() {
        Assert.assertEquals(1L, FACTORIAL.factorial(0));
    }

    @Test
    public void test2() {
        Assert.assertEquals(1L, FACTORIAL.factorial(1));
    }

    @Test
    public void test3() {
        Assert.assertEquals(120L, FACTORIAL.factorial(5));
    }

    @Test
    public void test4() {
        Assert.assertEquals(2432902008176640000L, FACTORIAL.factorial(20));
    }

    @Test(expected = ArithmeticException.class)
    public void test5() {
        FACTORIAL.factorial(21);
    }

    @Test
    public void test6() {
        Assert.assertEquals(2L, FACTORIAL.factorial(2));
    }

    @Test
    public void test7() {
        Assert.assertEquals(3628800L, FACTORIAL.factorial(10));
    }
}
