package java_testcases.junit;

import org.junit.Assert;
import org.junit.Test;

import java_programs.POWER_SUM;

public class POWER_SUM_TEST {
    @Test
    public void test1() {
        Assert.assertEquals(5L, POWER_SUM.power_sum(5, 0));
    }

    @Test
    public void test2() {
        Assert.assertEquals(0L, POWER_SUM.power_sum(0, 3));
    }

    @Test
    public void test3() {
        Assert.assertEquals(14L, POWER_SUM.power_sum(3, 2));
    }

    @Test
    public void test4() {
        Assert.assertEquals(10L, POWER_SUM.power_sum(4, 1));
    }

    @Test
    public void test5() {
        Assert.assertEquals(36L, POWER_SUM.power_sum(3, 3));
    }

    @Test
    public void test6() {
        Assert.assertEquals(1025L, POWER_SUM.power_sum(2, 10));
    }

    @Test
    public void test7() {
        Assert.assertEquals(354L, POWER_SUM.power_sum(4, 4));
    }

    @Test
    public void test8() {
        Assert.assertEquals(1L, POWER_SUM.power_sum(1, 7));
    }
}
