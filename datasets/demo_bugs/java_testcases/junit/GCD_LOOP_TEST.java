package java_testcases.junit;

import org.junit.Assert;
import org.junit.Test;

import java_programs.GCD_LOOP;

public class GCD_LOOP_TEST {
    @Test
    public void test1() {
        Assert.assertEquals(7, GCD_LOOP.gcd(7, 0));
    }

    @Test
    public void test2() {
        Assert.assertEquals(0, GCD_LOOP.gcd(0, 0));
    }

    @Test
    public void test3() {
        Assert.assertEquals(4, GCD_LOOP.gcd(12, 8));
    }

    @Test
    public void test4() {
        Assert.assertEquals(1, GCD_LOOP.gcd(17, 5));
    }

    @Test
    public void test5() {
        Assert.assertEquals(5, GCD_LOOP.gcd(5, 15));
    }
}
