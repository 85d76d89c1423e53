public enum RedlineStateModule {}
