public enum RedlineFeedModule {}
